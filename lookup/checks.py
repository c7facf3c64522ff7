"""Start-up checks of the lookup settings: a bad value fails ``manage.py check`` (and every
command that runs the checks) instead of turning each directory lookup into a 500."""

from django.conf import settings
from django.core.checks import CheckMessage, Error

from dict_rules.buckets import psp_policy


def check_psp_category(app_configs=None, **kwargs) -> list[CheckMessage]:
    """LOOKUP_PSP_CATEGORY must name one of DICT's participant categories (the PSP's bucket)."""
    try:
        psp_policy(settings.LOOKUP_PSP_CATEGORY)
    except ValueError as error:
        return [Error(f"LOOKUP_PSP_CATEGORY: {error}", id="lookup.E001")]
    return []

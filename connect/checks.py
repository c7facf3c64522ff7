"""Start-up check of the Connect TLS files: a half-configured or unreadable one fails ``manage.py check``
(and the commands that run the checks) instead of the first directory call."""

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured

from connect.tls import channel_credentials


def check_tls_files(app_configs=None, **kwargs) -> list[CheckMessage]:
    if not settings.CONNECT_URL:
        return []
    try:
        channel_credentials(
            ca_file=settings.CONNECT_TLS_CA_FILE,
            cert_file=settings.CONNECT_TLS_CERT_FILE,
            key_file=settings.CONNECT_TLS_KEY_FILE,
        )
    except ImproperlyConfigured as error:
        return [Error(str(error), id="connect.E001")]
    return []

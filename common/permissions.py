"""The back-office's permission rule, checked in the services whatever calls them (admin, command, task)."""

from django.contrib.auth.base_user import AbstractBaseUser

from dict_rules.errors import Forbidden


def require_staff_permission(user: AbstractBaseUser, permission: str, *, doing: str) -> None:
    """Staff holding ``permission`` may go on; anyone else is refused with Forbidden naming it."""
    if not (user.is_staff and user.has_perm(permission)):
        raise Forbidden(f"{doing} from the back-office needs {permission}.")

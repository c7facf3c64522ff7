"""Who may use MED: the fraud team (its role holds med.manage_infractions), on every edge, never a customer."""

from django.contrib.auth.models import AbstractBaseUser

from dict_rules.errors import Forbidden
from med.models import MANAGE_PERMISSION


def require_fraud_team(user: AbstractBaseUser) -> None:
    """Checked by every MED service and selector, whatever calls it (REST, gRPC, the admin, a command).

    Not only staff: the fraud team's service users call the API with tokens of their own."""
    if not user.has_perm(MANAGE_PERMISSION):
        raise Forbidden(f"MED (infraction reports, refunds, fraud markers) needs {MANAGE_PERMISSION}.")

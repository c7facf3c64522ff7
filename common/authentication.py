"""JWT authentication that loads the user's holder in the same query.

Nearly every call needs the customer behind the user (the payer of a lookup, the owner of a
key), so the second query per request is saved on the hot path.
"""

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.authentication import JWTAuthentication


class _UsersWithHolder:
    """The two things simplejwt's get_user uses of the user model, with the holder joined."""

    def __init__(self) -> None:
        model = get_user_model()
        self.objects = model.objects.select_related("holder")
        self.DoesNotExist = model.DoesNotExist


class HolderJWTAuthentication(JWTAuthentication):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithHolder()

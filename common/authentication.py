"""JWT authentication that loads the user's holder in the same query, and says plainly why a token is refused.

Nearly every call needs the customer behind the user (the payer of a lookup, the owner of a
key), so the second query per request is saved on the hot path. simplejwt's own refusals carry
nested dicts of ``ErrorDetail``; here every refusal of a presented token is one
``TokenRefused`` with a sentence a client can show, used alike by REST (401 with RFC 6750's
``WWW-Authenticate``) and by the gRPC auth interceptor (UNAUTHENTICATED).
"""

from dataclasses import dataclass
from typing import ClassVar

from django.contrib.auth import get_user_model
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

CHALLENGE = 'Bearer realm="api"'
MALFORMED = "The Authorization header must be the word Bearer, a space and one access token."
EXPIRED = "The access token has expired; get a new one with the refresh token or by logging in again."
INVALID = "The access token is not valid for this API."
NO_USER = "The access token's user does not exist or is inactive."


class TokenRefused(AuthenticationFailed):
    """A bearer token was presented and cannot be used: RFC 6750's ``invalid_token``."""

    default_detail = INVALID
    default_code = "invalid_token"


def www_authenticate(error: APIException) -> str:
    """The challenge of a 401 (RFC 6750 §3): the realm, plus ``invalid_token`` and why when a token was refused.

    A request that sent no token gets no error code, as the RFC asks.
    """
    if not isinstance(error, TokenRefused):
        return CHALLENGE
    return f'{CHALLENGE}, error="invalid_token", error_description="{error.detail}"'  # the reasons above: no quotes


class _UsersWithHolder:
    """The two things simplejwt's get_user uses of the user model, with the holder joined."""

    def __init__(self) -> None:
        model = get_user_model()
        self.objects = model.objects.select_related("holder")
        self.DoesNotExist = model.DoesNotExist


class HolderJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication: access tokens only, every refusal a ``TokenRefused``.

    With ``token_only`` the user is a ``TokenPrincipal``, read from the verified token with no query:
    for the lookup's hot path (its view and gRPC method), which checks the user itself. One class
    either way, so the API's schema has one security scheme.
    """

    def __init__(self, *args, token_only: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithHolder()
        self.token_only = token_only

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE

    def get_raw_token(self, header: bytes) -> bytes | None:
        try:
            return super().get_raw_token(header)
        except AuthenticationFailed:
            raise TokenRefused(MALFORMED) from None

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return AccessToken(raw_token)
        except ExpiredTokenError:
            raise TokenRefused(EXPIRED) from None
        except TokenError:  # bad signature, issuer or audience; not an access token; not a JWT at all
            raise TokenRefused(INVALID) from None

    def get_user(self, validated_token: Token):
        if self.token_only:
            return _principal(validated_token)
        try:
            return super().get_user(validated_token)
        except InvalidToken:  # no user id claim
            raise TokenRefused(INVALID) from None
        except AuthenticationFailed:
            raise TokenRefused(NO_USER) from None


@dataclass(frozen=True)
class TokenPrincipal:
    """A caller known only by a verified access token: its user id, with no database read.

    For the lookup's hot path, which checks the user (active, holder) in the same Redis call as
    its buckets (lookup.payers). Anything that needs more of the user loads it and checks it.
    """

    pk: int
    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False


def _principal(validated_token: Token) -> TokenPrincipal:
    try:
        return TokenPrincipal(pk=int(validated_token[api_settings.USER_ID_CLAIM]))
    except (KeyError, TypeError, ValueError):
        raise TokenRefused(INVALID) from None

"""The JWT token endpoints (simplejwt's views) with the login throttles of `common.throttling`.

The password grant is limited per client address and per username (django-axes, failed logins
only). A refresh carries no password to guess: it is checked by its signature, so it has only
the API's per-client limit, and does not use up an address's login budget. Both read their body
as strictly as the rest of the API (`StrictSerializer`): unknown fields are BadRequest by name.
"""

from typing import Any

from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from common.strict_input import StrictSerializer
from common.throttling import ClientRateThrottle, LoginAddressThrottle, login_succeeded


class TokenObtainIn(StrictSerializer, TokenObtainPairSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # simplejwt authenticates without Django's login(), so axes never hears of the success.
        tokens = super().validate(attrs)
        login_succeeded(self.context["request"], self.user)
        return tokens


class TokenRefreshIn(StrictSerializer, TokenRefreshSerializer):
    pass


class TokenObtainApi(TokenObtainPairView):
    serializer_class = TokenObtainIn
    throttle_classes = (ClientRateThrottle, LoginAddressThrottle)


class TokenRefreshApi(TokenRefreshView):
    serializer_class = TokenRefreshIn
    throttle_classes = (ClientRateThrottle,)

"""The JWT token endpoints (simplejwt's views) with the login throttles of `common.throttling`.

The password grant is limited per client address and per username (django-axes, failed logins
only). A refresh carries no password to guess: it is checked by its signature, so it has only
the API's per-client limit, and does not use up an address's login budget.
"""

from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from common.throttling import ClientRateThrottle, LoginAddressThrottle


class TokenObtainApi(TokenObtainPairView):
    throttle_classes = (ClientRateThrottle, LoginAddressThrottle)


class TokenRefreshApi(TokenRefreshView):
    throttle_classes = (ClientRateThrottle,)

"""The JWT token endpoints (simplejwt's views) with the login throttles of `common.throttling`.

Per client address on both; per username (django-axes, failed logins only) on the password
grant, where a username is given: a refresh carries none, and is checked by its signature.
"""

from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from common.throttling import ClientRateThrottle, LoginAddressThrottle


class TokenObtainApi(TokenObtainPairView):
    throttle_classes = (ClientRateThrottle, LoginAddressThrottle)


class TokenRefreshApi(TokenRefreshView):
    throttle_classes = (ClientRateThrottle, LoginAddressThrottle)

"""URL map: the versioned REST API, its OpenAPI schema and the admin back-office.

The probes (/healthz, /readyz) are answered before routing, by common.health.ProbeMiddleware, and /metrics
(to the scrapers' networks only) by common.metrics_http.MetricsMiddleware.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import AccountListApi
from accounts.otp_api import TotpConfirmApi, TotpEnrolApi
from common.token_views import TokenObtainApi, TokenRefreshApi

api_v1 = [
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("accounts/", AccountListApi.as_view(), name="account-list"),
    path("keys/possession-challenges/", include("possession.urls")),
    path("keys/", include("keys.urls")),
    path("lookup/", include("lookup.urls")),
    path("claims/", include("claims.urls")),
    path("portabilities/", include("portability.urls")),
    path("med/", include("med.urls")),
    path("otp/totp/", TotpEnrolApi.as_view(), name="otp-totp-enrol"),
    path("otp/totp/confirm/", TotpConfirmApi.as_view(), name="otp-totp-confirm"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

handler400 = "common.http_errors.json_400"
handler404 = "common.http_errors.json_404"
handler500 = "common.http_errors.json_500"

"""A bare Django JSON view with a lookup's minimum work (bench.bare.Minimum): the floor of a REST lookup.

Settings, URLconf and view in one module, no apps and no middleware. Served by gunicorn with Core
DICT's workers and threads:
    DJANGO_SETTINGS_MODULE=bench.bare_django gunicorn 'django.core.wsgi:get_wsgi_application()'
"""

import os

from django.http import HttpRequest, JsonResponse
from django.urls import path

from bench.bare import Minimum, Unauthenticated, end_to_end_id

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True

_minimum = Minimum()
_minimum.publish_view()


def lookup(request: HttpRequest, key: str) -> JsonResponse:
    try:
        payer = _minimum.caller(request.headers.get("Authorization", ""))["user_id"]
    except Unauthenticated:
        return JsonResponse({"detail": "invalid token"}, status=401)
    if not _minimum.charge(f"payer:{payer}"):
        return JsonResponse({"detail": "too many lookups"}, status=429)
    return JsonResponse({**_minimum.cached_view(), "end_to_end_id": end_to_end_id()})


urlpatterns = [path("lookup/<str:key>/", lookup)]

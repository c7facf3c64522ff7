"""WSGI entry point (gunicorn dict_project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")
application = get_wsgi_application()

from keys.own_view import warm_own_view  # noqa: E402  (apps are loaded only now)

warm_own_view()  # lookups of our own keys answer from Redis once it is complete; one process rebuilds it

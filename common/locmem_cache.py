"""The embedded default's in-process cache, with django-prometheus' hit and miss counts.

django-prometheus' LocMemCache returns ``cached or default``: a falsy value that is cached (the
``{}`` keys.selectors stores for "not one of our keys") comes back as the default, a miss, so
every such lookup would query the database again. This one returns what was stored.
"""

from typing import Any

from django.core.cache.backends import locmem
from django_prometheus.cache.metrics import django_cache_get_total, django_cache_hits_total, django_cache_misses_total

BACKEND_LABEL = "locmem"  # django-prometheus' own label for this backend


class LocMemCache(locmem.LocMemCache):
    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend=BACKEND_LABEL).inc()
        cached = super().get(key, default=None, version=version)
        if cached is None:
            django_cache_misses_total.labels(backend=BACKEND_LABEL).inc()
            return default
        django_cache_hits_total.labels(backend=BACKEND_LABEL).inc()
        return cached

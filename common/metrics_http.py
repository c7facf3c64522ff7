"""The web's side of the metrics: /metrics, for the scraper only, and the request metrics' last middleware.

``MetricsMiddleware``, right after the probes' middleware, answers /metrics before Django checks the
Host header or redirects to HTTPS, as the probes are: Prometheus scrapes each pod's own address over
plain HTTP (the pod IP as Host), which is neither an allowed host nor HTTPS. It answers clients whose
address (``client_address``: REMOTE_ADDR, or the one our trusted proxies saw) is in
METRICS_ALLOWED_NETWORKS; anyone else's request goes on as if the path did not exist (a 404, or
whatever the Host check or the redirect says first), so a prober learns nothing. The exposition
names no PII: its labels are view names, methods, statuses, codes and states.
"""

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus import middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.metrics import EXPOSITION
from common.throttling import client_address

METRICS_PATH = "/metrics"


def _address(request: HttpRequest) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(client_address(request) or "")
    except ValueError:
        return None
    # A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
    return (address.ipv4_mapped or address) if isinstance(address, IPv6Address) else address


def scraper_allowed(request: HttpRequest) -> bool:
    address = _address(request)
    return address is not None and any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


class MetricsMiddleware:
    """Prometheus' text format at /metrics, to the allowed networks only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == METRICS_PATH and scraper_allowed(request):
            return HttpResponse(generate_latest(EXPOSITION), content_type=CONTENT_TYPE_LATEST)
        return self.get_response(request)


class PrometheusAfterMiddleware(middleware.PrometheusAfterMiddleware):
    """django-prometheus' own, with every ``method`` label bounded.

    Its latency histogram is labelled with ``request.method`` as the client sent it, so each made-up
    method would add a series; here it gets the bounded name its other metrics already use.
    """

    def label_metric(self, metric, request: HttpRequest, response: HttpResponse | None = None, **labels: str):
        if "method" in labels:
            labels["method"] = self._method(request)
        return super().label_metric(metric, request, response, **labels)

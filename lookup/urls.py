from django.urls import path, register_converter
from django.urls.converters import PathConverter

from lookup.api import LookupApi, PaymentCreditApi


class LookupKeyConverter(PathConverter):
    """``path`` with newlines too: its ``.+`` stops at one, so such a key was a 404 and never met
    the key's own check, which refuses control characters as BadRequest (lookup.domain)."""

    regex = r"[\s\S]+"


register_converter(LookupKeyConverter, "lookup_key")

urlpatterns = [
    path("payments/", PaymentCreditApi.as_view(), name="lookup-payment"),
    # Any text, '/' included (an e-mail key may hold one); the key's rules are checked past the view.
    path("<lookup_key:key>/", LookupApi.as_view(), name="lookup"),
]

"""The registry over HTTP (``RFB_URL``): a gateway to the RFB data provider the PSP contracts.

``GET {RFB_URL}/tax-ids/{tax_id}`` answers 200 with a JSON object (``status``, one of
dict_rules.rfb.RfbStatus, and optionally ``name``, ``social_name``, ``trade_name``, ``mei``,
``suspended_under_cgsim_36``, ``unfit_under_in_2119_art_38_i``) or 404 for a tax id the
registry does not hold, read as NULL (the stricter reading: no registration is no regular one).
Anything else, an answer that is not that object, or no answer within the timeout is
ServiceUnavailable: the caller refuses and the customer tries again.
"""

import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from dict_rules.errors import ServiceUnavailable
from dict_rules.rfb import RegistryRecord, RfbStatus

logger = logging.getLogger(__name__)

UNAVAILABLE = "Receita Federal's registry is unavailable; try again shortly."
RETRY_AFTER_SEC = 30
_FLAGS = ("mei", "suspended_under_cgsim_36", "unfit_under_in_2119_art_38_i")
_NAMES = ("name", "social_name", "trade_name")


class HttpRegistry:
    def __init__(self, base_url: str) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ImproperlyConfigured("RFB_URL must be an http:// or https:// URL.")
        self.base_url = base_url.rstrip("/")

    def lookup(self, tax_id: str, *, timeout: float) -> RegistryRecord:
        url = f"{self.base_url}/tax-ids/{tax_id}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (http(s), above)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return RegistryRecord(tax_id=tax_id, status=RfbStatus.NULL)
            logger.warning("RFB registry answered HTTP %s", error.code)
            raise ServiceUnavailable(UNAVAILABLE, retry_after=RETRY_AFTER_SEC) from None
        except (OSError, ValueError) as error:  # refused, reset, timed out (URLError, TimeoutError), not JSON
            logger.warning("RFB registry unreachable: %s", type(error).__name__)
            raise ServiceUnavailable(UNAVAILABLE, retry_after=RETRY_AFTER_SEC) from None
        return record_event(tax_id, body)


def record_event(tax_id: str, body: Any) -> RegistryRecord:
    """The answer as a record; a body that is not the contract's object is the registry failing."""
    try:
        if not isinstance(body, dict):
            raise ValueError("not an object")
        names = {name: str(body.get(name) or "") for name in _NAMES}
        flags = {flag: body.get(flag, False) for flag in _FLAGS}
        if not all(isinstance(value, bool) for value in flags.values()):
            raise ValueError("a flag is not a boolean")
        return RegistryRecord(tax_id=tax_id, status=RfbStatus(body.get("status")), **names, **flags)
    except ValueError:
        logger.warning("RFB registry answered outside its contract")
        raise ServiceUnavailable(UNAVAILABLE, retry_after=RETRY_AFTER_SEC) from None

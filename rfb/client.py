"""Choosing the registry adapter from settings: HTTP when RFB_URL is set, else the simulated one.

As for the directory, no registry call may run inside a database transaction: a slow registry
would hold the caller's locks and connection for as long as the call lasts. Every call is
bounded by RFB_TIMEOUT_SEC.
"""

from django.conf import settings

from common.transactions import open_transaction
from dict_rules.rfb import RegistryRecord
from rfb.http_registry import HttpRegistry
from rfb.ports import TaxIdRegistry
from rfb.simulated import SimulatedRegistry


class RegistryCalledInTransaction(RuntimeError):
    """A registry call was made with a database transaction open: a programming error."""


def _adapter() -> TaxIdRegistry:
    return HttpRegistry(settings.RFB_URL) if settings.RFB_URL else SimulatedRegistry()


def registry_lookup(tax_id: str) -> RegistryRecord:
    """What the registry says of ``tax_id`` (ServiceUnavailable if it does not answer in time)."""
    alias = open_transaction()
    if alias is not None:
        raise RegistryCalledInTransaction(
            f"RFB registry call inside a transaction on database {alias!r}: call it first, then write."
        )
    return _adapter().lookup(tax_id, timeout=settings.RFB_TIMEOUT_SEC)

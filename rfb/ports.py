"""What Core DICT asks of Receita Federal's tax id registry, independent of how it is reached.

Adapters answer a ``RegistryRecord`` (dict_rules.rfb) for any tax id, and raise
ServiceUnavailable when the registry cannot be reached or does not answer within ``timeout``
seconds: the caller then refuses what it was about to do, with a retryable error, rather than
go on unchecked.
"""

from typing import Protocol

from dict_rules.rfb import RegistryRecord


class TaxIdRegistry(Protocol):
    def lookup(self, tax_id: str, *, timeout: float) -> RegistryRecord: ...

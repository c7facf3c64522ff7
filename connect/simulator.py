"""BCB's part in a homologation rehearsal: what only the directory's operator can do.

In the real exam BCB changes and inserts keys (to test the sync check), creates claims and
settles payments; against dictsim the rehearsal asks the simulator to do the same, through this
port: in-process for the embedded directory, or dictsim's SimulatorService next to its Connect API.
A real DICT has no such service: there, these moves are BCB's, and the rehearsal says so.
"""

from datetime import datetime
from decimal import Decimal
from typing import Protocol


class SimulatorUnavailable(RuntimeError):
    """The directory offers no simulator control (a real DICT, or a Connect gateway in front of one)."""


class DirectorySimulator(Protocol):
    def now(self) -> datetime:
        """The directory's clock."""
        ...

    def seed_entries(self, *, participant: str, count: int, start: int = 0) -> list[str]:
        """Active entries held by ``participant`` (not us: refused), indexes start .. start+count-1; their keys.
        ``count`` from 0 to 100,000 and ``start`` from 0 (else BadRequest)."""
        ...

    def tamper(self, *, participant: str, key_type: str, changes: int, inserts: int) -> list[str]:
        """Change ``changes`` of ``participant``'s entries of this type and insert ``inserts`` new ones
        at the directory only, as BCB does before the sync test; the keys touched. Each count from 0 to
        100,000 (else BadRequest)."""
        ...

    def settle(
        self,
        *,
        end_to_end_id: str,
        payer_participant: str,
        payer_tax_id: str,
        receiver_key: str,
        amount: Decimal,
        ago_seconds: int = 0,
    ) -> None:
        """Record a settled Pix payment to ``receiver_key`` (the SPI's part), ``ago_seconds`` in the past."""
        ...

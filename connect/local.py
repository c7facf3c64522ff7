"""The embedded directory: the simulated DICT (dictsim) called in-process, on this database.

A real implementation, not a mock: the same services `run_dictsim` serves over gRPC.
"""

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from connect.ports import BankAccount, DirectoryEntry, EntryRequest, Owner
from dictsim import services


class LocalDirectoryClient:
    def __init__(self, *, participant: str) -> None:
        self._participant = participant

    def create_entry(self, request: EntryRequest) -> DirectoryEntry:
        return services.entry_create(participant=self._participant, request=request)

    def get_entry(self, *, key: str, payer_id: str, end_to_end_id: str) -> DirectoryEntry:
        return services.entry_get(
            participant=self._participant, key=key, payer_id=payer_id, end_to_end_id=end_to_end_id
        )

    def update_entry(self, *, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry:
        return services.entry_update(
            participant=self._participant, key=key, account=account, owner=owner, reason=reason
        )

    def delete_entry(self, *, key: str, reason: str) -> None:
        services.entry_delete(participant=self._participant, key=key, reason=reason)

    def check_sync(self, *, key_type: str, verifier: str) -> tuple[bool, str]:
        return services.sync_verify(participant=self._participant, key_type=key_type, verifier=verifier)

    def list_cids(self, *, key_type: str) -> Iterator[str]:
        return services.cid_iter(participant=self._participant, key_type=key_type)

    def health(self) -> datetime:
        return timezone.now()

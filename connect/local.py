"""The local stand-in directory: accepts every valid registration, as a lone PSP would see DICT.

It is the embedded default until the simulated directory (dictsim) takes its place; it keeps
no state of its own, so it cannot detect keys held at other participants.
"""

import uuid

from django.utils import timezone

from connect.ports import EntryRequest, RegisteredEntry


class LocalDirectoryClient:
    def create_entry(self, request: EntryRequest) -> RegisteredEntry:
        now = timezone.now()
        key = request.key if request.key is not None else str(uuid.uuid4())
        return RegisteredEntry(key=key, created_at=now, key_ownership_date=now)

    def delete_entry(self, *, key: str, participant: str, reason: str) -> None:
        return None

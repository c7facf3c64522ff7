"""Rebuild the lookups' view of our own keys in Redis (keys.own_view): after a bulk load, or by hand."""

from django.core.management.base import BaseCommand, CommandError

from common.redis_client import shared_redis
from keys.own_view import rebuild_own_view


class Command(BaseCommand):
    help = "Write every ACTIVE key into the lookups' Redis view, prune what is no longer ours, and mark it complete."

    def handle(self, *args, **options) -> None:
        if shared_redis() is None:
            raise CommandError("the default cache is not Redis: there is no view (lookups read the database)")

        def progress(written: int) -> None:
            if written % 100_000 == 0:
                self.stdout.write(f"  {written:,} keys written")

        written = rebuild_own_view(progress=progress)
        self.stdout.write(f"own-key view rebuilt: {written:,} keys")

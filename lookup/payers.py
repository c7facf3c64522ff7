"""Who pays, without the ORM on the hot path: a per-user entry in Redis, read inside the lookup's script.

A lookup needs three things of its caller: that the login is still active, the holder's id and tax id
(DICT's PayerId) and the person type (which bucket policy applies). The access token is checked for
its signature only (``common.authentication.verified_user_id``), and these come from the user's entry,
read in the same Redis call as the buckets, so a deactivated user is refused at once and no SQL runs.

Why not in the token: a JWT is readable by whoever holds it (the app, proxies, logs that keep headers),
and a CPF is personal data (LGPD art. 5 I): it would leave our systems in every token for no need of
the client's. So the token stays an opaque user id, and the tax id stays in our own Redis, as the
cached views of keys already do. A token can also not be "deactivated"; the entry can.

The entry is written through on commit of every change to a user or its holder (receivers connected
by ``lookup.apps``; a holder moved to another login rewrites both logins' entries), and kept at most
``PAYER_ENTRY_SEC``: a change the receivers cannot see (a bulk ``update()``) is picked up within that.
A missing entry is read from the database and stored only if still missing (``SET NX``), so a slow
reader never overwrites the write-through of a deactivation.
"""

import json
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Holder
from common.outages import OUTAGES
from common.redis_client import LOOKUP_TAG, shared_redis

logger = logging.getLogger(__name__)

PAYER_ENTRY_SEC = 600


@dataclass(frozen=True)
class Payer:
    """A paying customer: their login (whose bucket and payment records these are) and their holder."""

    user_id: int | None
    holder_id: int
    tax_id: str
    person_type: str


def payer_of(holder: Holder) -> Payer:
    """A holder as a payer (their login's bucket and records)."""
    return Payer(user_id=holder.user_id, holder_id=holder.pk, tax_id=holder.tax_id, person_type=holder.person_type)


def payer_entry_key(user_id: int) -> str:
    return f"{LOOKUP_TAG}:payer:u{user_id}"


def payer_entry(user_id: int) -> dict:
    """The user's entry, read from the database: refused (``a`` 0) when the user is gone or inactive; an
    active user with no holder (``h`` None) is no customer."""
    user = get_user_model().objects.select_related("holder").filter(pk=user_id).first()
    if user is None or not user.is_active:
        return {"a": 0}
    holder = getattr(user, "holder", None)
    if holder is None:
        return {"a": 1, "h": None}
    return {"a": 1, "h": holder.pk, "t": holder.tax_id, "p": holder.person_type}


def payer_from_entry(user_id: int, entry: dict) -> Payer | None:
    """The payer an active customer's entry names; None when the user has no holder."""
    if entry.get("h") is None:
        return None
    return Payer(user_id=user_id, holder_id=entry["h"], tax_id=entry["t"], person_type=entry["p"])


def store_missing_payer_entry(user_id: int) -> None:
    """Read a user's entry from the database and store it unless a write-through got there first."""
    redis = shared_redis()
    if redis is not None:
        redis.client.set(
            redis.key(payer_entry_key(user_id)), json.dumps(payer_entry(user_id)), nx=True, ex=PAYER_ENTRY_SEC
        )


def _refresh(user_id: int) -> None:
    redis = shared_redis()
    if redis is None:
        return
    try:
        entry = json.dumps(payer_entry(user_id))
        redis.client.set(redis.key(payer_entry_key(user_id)), entry, ex=PAYER_ENTRY_SEC)
    except OUTAGES as error:
        # The entry may now be stale for up to PAYER_ENTRY_SEC; a restarted Redis has none at all.
        logger.error("payer entry of user #%s not refreshed (%s)", user_id, type(error).__name__)


def refresh_on_commit(user_id: int | None) -> None:
    """Rewrite the user's entry once the current transaction commits (at once outside one)."""
    if user_id is not None:
        transaction.on_commit(lambda: _refresh(user_id), robust=True)


def on_user_changed(sender, instance, **kwargs) -> None:
    refresh_on_commit(instance.pk)


def on_holder_saving(sender, instance, **kwargs) -> None:
    """Remember the login a holder is moved away from: its entry names the holder until rewritten."""
    if instance.pk is not None:
        instance._payer_previous_user_id = (
            type(instance).objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
        )


def on_holder_changed(sender, instance, **kwargs) -> None:
    refresh_on_commit(instance.user_id)
    previous = getattr(instance, "_payer_previous_user_id", None)
    if previous != instance.user_id:
        refresh_on_commit(previous)

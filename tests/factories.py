"""Test data builders and helpers shared by test modules (no test module imports another).

Check digits are computed here independently of the code under test.
"""

import itertools
import os
import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import jwt
import pytest
from django.conf import settings
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import dict_view
from accounts.models import Account
from claims.models import Claim
from claims.selectors import key_slot_holders
from claims.services import claims_poll
from common.redis_client import shared_redis
from dict_rules.directory import BankAccount, ClaimRequest, DirectoryEntry, EntryRequest, Owner
from dict_rules.errors import DomainError
from dict_rules.possession import needs_possession_proof
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from dictsim import claims as dir_claims
from dictsim import services as dir_entries
from dictsim.models import DirCidEvent, DirEntry, DirRequest
from events.models import DomainEvent
from keys.models import Entry
from keys.own_view import OWN_READY, decode_own_view, own_entry_from_db, own_view_key
from keys.services import entry_create, entry_register
from lookup.buckets import get_buckets
from lookup.payers import payer_of
from lookup.store import payer_charge, psp_charge
from possession.delivery import MemorySmsSender
from possession.services import challenge_confirm, challenge_start

if TYPE_CHECKING:
    from connect.grpc_client import GrpcDirectoryClient

# Under pytest-xdist each worker ("gw0", "gw1"...) counts in a range of its own, so generated tax ids
# differ across workers too: they share one Redis database (and its keys of payers and lookups).
_seq = itertools.count(1 + 1_000_000 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")))


def new_cpf() -> str:
    """A fresh valid CPF, unique within the test run (never all digits equal)."""
    return cpf_from_base(f"{next(_seq) * 7919 % 10**8:08d}1")


def new_cnpj() -> str:
    return cnpj_from_base(f"{next(_seq) * 7919 % 10**8:08d}0001")


def new_phone() -> str:
    return f"+55119{random.randint(10_000_000, 99_999_999)}"


# Directory builders: the Connect port's values, for tests that call the directory (dictsim, its gRPC server).

OURS, OTHER = "12345678", "87654321"  # two participants' ISPBs
OPENED = datetime(2024, 1, 2, 3, tzinfo=UTC)
# One counter for every module, so generated account numbers never repeat within the test run; seven
# digits, so they never equal the short numbers tests pass explicitly ("777") nor make_account's ten.
_numbers = iter(range(1_000_000, 9_999_999))


def person(*, legal: bool = False, tax_id: str | None = None, name: str | None = None) -> Owner:
    if legal:
        return Owner("LEGAL_PERSON", tax_id or new_cnpj(), name or "ACME COMERCIO LTDA", "ACME")
    return Owner("NATURAL_PERSON", tax_id or new_cpf(), name or "Maria da Silva", "")


def account(
    participant: str = OURS, *, number: str | None = None, branch: str = "1", kind: str = "CACC"
) -> BankAccount:
    """A bank account at ``participant``, with a fresh number unless one is given."""
    return BankAccount(participant, branch, number or str(next(_numbers)), kind, OPENED)


def request(key_type: str, key: str | None, owner: Owner, acct: BankAccount, **kwargs) -> EntryRequest:
    """An entry request with a fresh request id unless one is given; other kwargs (reason) pass through."""
    return EntryRequest(
        key_type=key_type,
        key=key,
        owner=owner,
        account=acct,
        request_id=kwargs.pop("request_id", uuid.uuid4()),
        **kwargs,
    )


# Claims, lookups and keys shared by several test modules. Another PSP (participant 99999901) is
# played by calling the simulated directory directly; these need the test's database.

OTHER_PSP = "99999901"
DAY = timedelta(days=1)
OTHER_ACCOUNT = BankAccount(
    participant=OTHER_PSP, branch="1", number="777", account_type="CACC", opening_date=datetime(2023, 1, 1, tzinfo=UTC)
)


def owner_of(acct: Account) -> Owner:
    return dict_view.owner(acct.holder)


def stranger() -> Owner:
    return Owner(person_type="NATURAL_PERSON", tax_id=new_cpf(), name="Joao Souza", trade_name="")


def key_at_other_psp(key_type: str, key: str, owner: Owner) -> None:
    entry_request = EntryRequest(
        key_type=key_type, key=key, owner=owner, account=OTHER_ACCOUNT, request_id=uuid.uuid4()
    )
    dir_entries.entry_create(participant=OTHER_PSP, request=entry_request)


POSSESSION_CHALLENGES = "/api/v1/keys/possession-challenges/"


def sent_code(key: str) -> str:
    """The last verification code sent to the phone or e-mail ``key``, read where it was delivered:
    Django's locmem mail outbox, or the SMS sender the tests configure (possession.delivery.MemorySmsSender)."""
    if "@" in key:
        texts = [message.body for message in mail.outbox if message.to == [key]]
    else:
        texts = [message.text for message in MemorySmsSender.outbox if message.phone == key]
    assert texts, "no code was sent to this key"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def possession_proof(user, key_type: str, key: str, *, now: datetime | None = None) -> uuid.UUID:
    """A confirmed possession challenge of ``user``'s for ``key``, obtained the honest way: the service
    sends the code, the test reads it from the outbox and confirms it (as of ``now``, e.g. the directory's
    advanced clock). Its id is the proof to name."""
    challenge = challenge_start(user=user, key_type=key_type, key=key, now=now)
    challenge_confirm(user=user, challenge_id=challenge.pk, code=sent_code(challenge.key), now=now)
    return challenge.pk


def rest_proof(client, key_type: str, key: str) -> str:
    """A proof obtained over REST as a customer's app does: start the challenge, read the code where it was
    delivered, confirm it. Returns the challenge's id, to send as ``possession_challenge_id``."""
    started = client.post(POSSESSION_CHALLENGES, {"key_type": key_type, "key": key}, format="json")
    assert started.status_code == 201, started.json()
    challenge = started.json()
    confirm = {"code": sent_code(challenge["key"])}
    confirmed = client.post(f"{POSSESSION_CHALLENGES}{challenge['id']}/confirm/", confirm, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    return challenge["id"]


def proof_for(user, key_type: str, key: str | None) -> uuid.UUID | None:
    """``possession_proof`` for a PHONE or EMAIL key; None for the other types, which need none."""
    return possession_proof(user, key_type, key) if needs_possession_proof(key_type) else None


def create_entry(acct: Account, key_type: str, key: str | None) -> Entry:
    """A key created by the account's holder through the service (PENDING), its possession proven first."""
    user = acct.holder.user
    entry, _ = entry_create(
        user=user,
        account_id=acct.pk,
        key_type=key_type,
        key_value=key,
        request_id=uuid.uuid4(),
        possession_challenge_id=proof_for(user, key_type, key),
    )
    return entry


def our_key(acct: Account, key_type: str, key: str) -> Entry:
    """A key of ours, created by the account's holder and registered at the directory (ACTIVE)."""
    return entry_register(entry_id=create_entry(acct, key_type, key).pk)


def claim_on_our_key(entry: Entry, claim_type: str, claimer: Owner):
    """The other PSP opens a claim on our key at the directory (our poll has not seen it yet)."""
    claim_request = ClaimRequest(
        claim_type=claim_type,
        key=entry.key_value,
        key_type=entry.key_type,
        claimer_account=OTHER_ACCOUNT,
        claimer=claimer,
    )
    return dir_claims.claim_create(participant=OTHER_PSP, request=claim_request)


def incoming_claim(acct: Account, key_type: str = "EMAIL", claim_type: str = "PORTABILITY") -> tuple[Claim, Entry]:
    """A claim another PSP opened on one of the account's keys, as our poll stored it."""
    key = new_phone() if key_type == "PHONE" else f"{uuid.uuid4().hex[:12]}@example.com"
    entry = our_key(acct, key_type, key)
    claimer = owner_of(acct) if claim_type == "PORTABILITY" else stranger()
    remote = claim_on_our_key(entry, claim_type, claimer)
    claims_poll()
    return Claim.objects.get(dict_id=remote.id, role="DONOR"), entry


def claim_events(claim: Claim) -> list[str]:
    events = DomainEvent.objects.filter(aggregate_type="claim", aggregate_id=str(claim.pk)).order_by(
        "occurred_at", "id"
    )
    return list(events.values_list("event_type", flat=True))


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


device_for = confirmed_device  # the name the API tests use


def code(device: TOTPDevice, drift: int = 0) -> str:
    """The device's code for the current time step (drift 1: the next one, to use a second code)."""
    return f"{totp(device.bin_key, drift=drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code(device)) + 1) % 10**6:06d}"


def at_other_psp(key_type: str, key: str, *, tax_id: str | None = None, name: str = "Joana Souza") -> DirEntry:
    """A key registered by another participant straight into the simulated directory."""
    tax_id = tax_id or new_cpf()
    legal = len(tax_id) == 14
    dir_entries.entry_create(
        participant=OTHER_PSP,
        request=EntryRequest(
            key_type=key_type,
            key=key,
            owner=Owner(
                person_type="LEGAL_PERSON" if legal else "NATURAL_PERSON",
                tax_id=tax_id,
                name=name,
                trade_name="PADARIA BOM PAO" if legal else "",
            ),
            account=BankAccount(
                participant=OTHER_PSP,
                branch="77",
                number=str(uuid.uuid4().int)[:12],
                account_type="SVGS",
                opening_date=datetime(2021, 5, 6, 3, tzinfo=UTC),
            ),
            request_id=uuid.uuid4(),
        ),
    )
    return DirEntry.objects.get(key=key)


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:10]}@example.com"


def look(client, key: str):
    """A lookup over REST (GET /api/v1/lookup/<key>/)."""
    return client.get(f"/api/v1/lookup/{quote(key, safe='')}/")


def tokens_left(holder) -> tuple[int, int]:
    """The payer's bucket and the PSP's now (a zero charge, ungated, only refills and reads)."""
    charges = [payer_charge(payer_of(holder), 0), psp_charge(0)]
    payer_state, psp_state = get_buckets().settle(charges, gated=False).states
    return payer_state.tokens, psp_state.tokens


def token_for(user, *, key: str | None = None, **overrides) -> str:
    """An access token signed with our key (or ``key``, a forger's); an override of None leaves that claim out."""
    now = datetime.now(UTC)
    claims = {
        "token_type": "access",
        "user_id": str(user.pk),
        "jti": "test-jti",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


# The simulated directory, called directly.

ZERO = "0" * 64


def dir_create(participant: str, *args, **kwargs) -> DirectoryEntry:
    """An entry created at the directory by ``participant``; the rest as for ``request``."""
    return dir_entries.entry_create(participant=participant, request=request(*args, **kwargs))


def snapshot() -> tuple:
    """Everything the directory holds, to show that a refusal changed nothing."""
    return (
        sorted(DirEntry.objects.values_list("key", "participant", "owner_name", "account_number", "cid", "updated_at")),
        sorted(DirRequest.objects.values_list("participant", "request_id", "key")),
        DirCidEvent.objects.count(),
    )


# The Connect gRPC adapter (the start_server and make_client fixtures are in tests/conftest.py).


def refusal(call: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value


class CountingStub:
    """Wraps a client's stub to count the RPCs it really sends (attempts, not calls)."""

    def __init__(self, client: "GrpcDirectoryClient") -> None:
        self._stub = client._stub
        self.sent: list[str] = []
        client._stub = self

    def __getattr__(self, name: str):
        method = getattr(self._stub, name)

        def send(*args, **kwargs):
            self.sent.append(name)
            return method(*args, **kwargs)

        return send


def dead_port(start_server) -> int:
    """The port of a directory that was running and has stopped."""
    server, port = start_server()
    server.stop(None).wait()
    return port


def otp(user) -> str:
    """A code of a new confirmed TOTP device of ``user``'s."""
    return code(confirmed_device(user))


def incoming(acct: Account, key: str):
    """A portability another PSP opened on our key (not yet polled); DICT's view of it."""
    return claim_on_our_key(our_key(acct, "EMAIL", key), "PORTABILITY", owner_of(acct))


def key_slots_held_by_claims(account) -> int:
    """How many of the account's key slots our claims in progress hold (claims.selectors.key_slot_holders)."""
    return sum(rows.count() for rows in key_slot_holders(account))


def own_entry_view(key: str):
    """Our key as a lookup finds it: the Redis view when it holds the key or is complete, else the database."""
    redis = shared_redis()
    if redis is None:  # the embedded default: no view, lookups read the database
        return own_entry_from_db(key)
    raw, ready = redis.client.mget([redis.key(own_view_key(key)), redis.key(OWN_READY)])
    return decode_own_view(raw) if raw or ready else own_entry_from_db(key)

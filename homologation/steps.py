"""BCB's functional exam (DICT_RULES §11), one function per step, each with its evidence.

Every move of the PSP goes through its own services (keys, lookup, the sync repair, claims and
portability with their poll, MED), exactly as a customer's request or a beat job would make it.
The other side is played through the directory: the counterpart and BCB's virtual participants
act through Connect clients of their own ISPBs (``connect.client.participant_client``), and BCB's
operator moves (seeding, the sync test's changes, settling payments) through the simulator port.

The rehearsal never runs a poll itself: what DICT's other side does reaches us only through the
PSP's scheduled jobs (``--scheduled-jobs``: beat run in this process, or the deployment's), and a
step that needs their work waits for it and watches. BCB's claims on our keys arrive on a thread of
their own at random moments from before step 1 to the end of step 7 (art. 13: throughout the hour),
and step 4 only watches DICT until a minute after each claim, judging by DICT's own timestamps.

Where §11 leaves room, the stricter reading: the lookups are of keys another participant holds (our
own keys are answered here, without DICT); every move of items 5 to 7 that can be ours is made by
us (we create and cancel reports as reporter, and acknowledge and close BCB's as counterparty).
"""

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import close_old_connections, connection
from django.utils import timezone

from claims.models import Claim
from common.logging import mask_pii
from connect.client import get_client, get_simulator, participant_client
from connect.ports import DirectoryClient
from connect.simulator import DirectorySimulator, SimulatorUnavailable
from dict_rules.claims import OPEN_STATUSES, ClaimReason, ClaimStatus, ClaimType, Role
from dict_rules.directory import BankAccount, ClaimRequest, DirectoryClaim, EntryRequest, Owner
from dict_rules.keys import KeyType
from dict_rules.lookups import new_end_to_end_id
from dict_rules.med import ContactInformation, InfractionReportRequest, RefundClose, RefundRequest
from dict_rules.possession import needs_possession_proof
from dict_rules.tax_ids import PersonType, cnpj_from_base, cpf_from_base
from homologation.customers import (
    Customer,
    customer_row,
    describe,
    fraud_team_operator,
    fresh_company,
    fresh_person,
    import_customers,
    proven_possession,
    second_factor_code,
)
from homologation.domain import (
    ACKNOWLEDGE_WITHIN,
    StepResult,
    acknowledged_in_time,
)
from keys.domain import EntryStatus
from keys.models import LIVE, Entry
from keys.services import entry_create, entry_register
from keys.sync import sync_check
from lookup.services import lookup_key, payment_credit
from med.models import InfractionReport, Refund
from med.services import refund_close, refund_request, report_cancel, report_close, report_open
from portability.services import portability_cancel, portability_start

logger = logging.getLogger(__name__)

# BCB's virtual participants in the rehearsal (the exam's own are BCB's; these stand in for them).
BCB_RECEIVING = "99999991"  # receives the preparation's five payments
BCB_PAYING = "99999992"  # pays our customers, then reports and asks refunds against us
BCB_CLAIMER = "99999993"  # opens portability and ownership claims on our keys during the run
BCB_SEED_START = 9_000_000  # its key's synthetic index, clear of demo and benchmark seeds
PREPARED_KEY_TYPES = (KeyType.CPF, KeyType.CNPJ)  # one key per holder: no possession proofs needed
PAYMENTS = 5
SYNC_CHANGES, SYNC_INSERTS = 3, 2
OPENED = datetime(2020, 1, 2, 3, tzinfo=UTC)
WATCH_EVERY = 0.5  # seconds between looks while waiting for a scheduled job's work or DICT's
POLLS = ("claims-poll", "med-poll")  # the scheduled jobs whose work the steps wait for


def poll_period() -> float:
    """The longest period of the claims and MED polls in the beat schedule, in seconds."""
    return max(float(settings.CELERY_BEAT_SCHEDULE[name]["schedule"]) for name in POLLS)


def poll_wait() -> float:
    """How long a step waits for a poll's work: a poll that had just begun when the move was made, the
    next one, and some slack for the poll's own calls."""
    return 2 * poll_period() + 5


_NAMESPACE = uuid.UUID("0b7d6a4e-35a1-4bb4-9a57-6a2f3f4e9c21")


@dataclass
class Rehearsal:
    """One run: its options, the directory's sides, and what earlier steps hand later ones."""

    counterpart: str
    key_type: str = KeyType.CPF
    prepared_keys: int = 1000
    progress: TextIO | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    simulator: DirectorySimulator = field(default_factory=get_simulator)
    bcb_available: bool = True
    prepared: list[Customer] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # step 2's key by type
    bcb_claims: dict[uuid.UUID, DirectoryClaim] = field(default_factory=dict)  # opened by BcbClaims' thread
    counterpart_key: str = ""  # the counterpart's key our customers pay in the MED steps
    agreed_payment: str = ""  # our payment the counterpart agreed was fraud (step 6): our FRAUD refund's
    bcb_agreed_payment: str = ""  # BCB's payment to us we agreed was fraud (step 6): BCB's FRAUD refund's
    _clients: dict[str, DirectoryClient] = field(default_factory=dict)
    _fraud_team: AbstractBaseUser | None = None

    @property
    def ispb(self) -> str:
        return settings.DICT_ISPB

    def client(self, ispb: str) -> DirectoryClient:
        """The directory as participant ``ispb`` (ours: the PSP's own client)."""
        if ispb == self.ispb:
            return get_client()
        if ispb not in self._clients:
            self._clients[ispb] = participant_client(ispb)
        return self._clients[ispb]

    def close(self) -> None:
        """Close the channels of the other participants' clients and the simulator's (gRPC ones)."""
        for side in (*self._clients.values(), self.simulator):
            close = getattr(side, "close", None)
            if close is not None:
                close()

    @property
    def fraud_team(self) -> AbstractBaseUser:
        """The fraud team's operator who makes our MED moves (MED is theirs, never a customer's)."""
        if self._fraud_team is None:
            self._fraud_team = fraud_team_operator()
        return self._fraud_team

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress.write(line + "\n")
            self.progress.flush()

    def wait_for(self, done: Callable[[], bool]) -> bool:
        """Watch until ``done()`` holds (a scheduled job did its work) or poll_wait() passes; whether it held."""
        deadline = time.monotonic() + poll_wait()
        while not done():
            if time.monotonic() > deadline:
                return False
            time.sleep(WATCH_EVERY)
        return True


Step = Callable[[Rehearsal, StepResult], None]


def _counterparty_account(ispb: str, label: str) -> BankAccount:
    number = f"{uuid.uuid5(_NAMESPACE, label).int % 10**10:010d}"
    return BankAccount(participant=ispb, branch="1", number=number, account_type="CACC", opening_date=OPENED)


def _owner(customer: Customer) -> Owner:
    holder = customer.holder
    return Owner(person_type=holder.person_type, tax_id=holder.tax_id, name=holder.name, trade_name=holder.trade_name)


# --- the preparation (IN 508 art. 12) ---------------------------------------------------------------


def step_directory(ctx: Rehearsal, result: StepResult) -> None:
    """The directory answers, and whether it plays BCB's part (a simulator) or BCB does (a real DICT)."""
    now = get_client().health()
    result.note(f"directory clock {now:%Y-%m-%d %H:%M:%S} UTC; we are {ctx.ispb}, counterpart {ctx.counterpart}")
    try:
        ctx.simulator.now()
    except SimulatorUnavailable:
        ctx.bcb_available = False
        result.note("BCB's part: not available at this directory (its moves are SKIPPED, not failed)")
    else:
        result.note("BCB's part: played by the directory's simulator")


def step_nothing_pending(ctx: Rehearsal, result: StepResult) -> None:
    """No pending portability, ownership claim or infraction report (art. 12). What an interrupted
    rehearsal left open on the other side (BCB's or the counterpart's claims on our keys, BCB's
    reports against us) is withdrawn by its creator first; anything else open fails the step."""
    client, claim_statuses, report_statuses = get_client(), tuple(sorted(OPEN_STATUSES)), ("OPEN", "ACKNOWLEDGED")
    others = (BCB_CLAIMER, BCB_PAYING, ctx.counterpart)
    claims = client.list_claims(as_donor=True, as_claimer=True, statuses=claim_statuses).claims
    reports = client.list_infraction_reports(as_reporter=False, as_counterparty=True, statuses=report_statuses).reports
    withdrawn = 0
    for claim in claims:
        if claim.claimer_account.participant in others and claim.donor_participant == ctx.ispb:
            ctx.client(claim.claimer_account.participant).cancel_claim(claim.id, reason=ClaimReason.USER_REQUESTED)
            withdrawn += 1
    for report in reports:
        if report.reporter_participant in others:
            ctx.client(report.reporter_participant).cancel_infraction_report(report.id)
            withdrawn += 1
    if withdrawn:
        ctx.wait_for(lambda: not Claim.objects.open().exists())
        result.note(f"{withdrawn} claims and reports an earlier rehearsal left open were withdrawn by their creators")
    claims = client.list_claims(as_donor=True, as_claimer=True, statuses=claim_statuses).claims
    local = Claim.objects.open().count()
    result.check(not claims, f"open claims at the directory: {len(claims)} {[str(c.id) for c in claims[:5]]}")
    result.check(local == 0, f"open claims here: {local}")
    reports = client.list_infraction_reports(as_reporter=True, as_counterparty=True, statuses=report_statuses).reports
    result.check(not reports, f"open infraction reports at the directory: {len(reports)}")


def _prepared_row(key_type: str, index: int) -> dict[str, str]:
    """The index-th prepared holder: the same on every run, so the preparation only tops up."""
    if key_type == KeyType.CNPJ:
        tax_id = cnpj_from_base(f"97{index:06d}0001")
        return customer_row(tax_id=tax_id, name="EMPRESA PREPARADA ENSAIO LTDA", number=f"97{index:08d}")
    return customer_row(tax_id=cpf_from_base(f"97{index:07d}"), name="Cliente Preparado", number=f"96{index:08d}")


def step_prepared_keys(ctx: Rehearsal, result: StepResult) -> None:
    """1,000 keys of one type (not EVP) registered (art. 12): each created and registered through the
    key services, holders and accounts through core banking's import; a re-run only tops up."""
    rows = [_prepared_row(ctx.key_type, index) for index in range(ctx.prepared_keys)]
    started = time.monotonic()
    ctx.prepared = import_customers(rows)
    result.note(
        f"{len(rows)} holders and accounts in place through the accounts import ({time.monotonic() - started:.1f}s)"
    )
    keys = [customer.holder.tax_id for customer in ctx.prepared]
    live = set(
        Entry.objects.filter(LIVE, key_type=ctx.key_type, key_value__in=keys).values_list("key_value", flat=True)
    )
    started, created = time.monotonic(), 0
    for customer, key in zip(ctx.prepared, keys, strict=True):
        if key in live:
            continue
        entry, _ = entry_create(
            user=customer.user,
            account_id=customer.account.pk,
            key_type=ctx.key_type,
            key_value=key,
            request_id=uuid.uuid4(),
        )
        entry_register(entry_id=entry.pk)  # the registration task's work; nothing if it already ran
        created += 1
        if created % 100 == 0:
            ctx.say(f"  prepared keys: {created} registered, {len(keys) - len(live) - created} to go")
    active = Entry.objects.filter(status=EntryStatus.ACTIVE, key_type=ctx.key_type, key_value__in=keys).count()
    result.note(f"{created} keys registered by this run ({time.monotonic() - started:.1f}s), {len(live)} already there")
    result.check(active == ctx.prepared_keys, f"{active} of {ctx.prepared_keys} prepared {ctx.key_type} keys ACTIVE")


def step_payments(ctx: Rehearsal, result: StepResult) -> None:
    """At least five payments to BCB's virtual receiving participant (art. 12): looked up by a
    customer, settled by the SPI (the simulator's part), and credited back to the anti-scan bucket."""
    if not ctx.bcb_available:
        result.skip()
        return
    receivers = ctx.simulator.seed_entries(participant=BCB_RECEIVING, count=1, start=BCB_SEED_START)
    if not result.check(bool(receivers), f"BCB's receiving participant {BCB_RECEIVING} holds a key"):
        return
    for _ in range(PAYMENTS):
        end_to_end_id, receiver = _pay(ctx, ctx.prepared[0], receivers[0], Decimal("1.00"))
        if not result.check(receiver == BCB_RECEIVING, f"payment {end_to_end_id} to {receiver}"):
            return
    result.note(f"{PAYMENTS} payments settled to {BCB_RECEIVING}")


def _pay(ctx: Rehearsal, payer: Customer, key: str, amount: Decimal) -> tuple[str, str]:
    """Our customer pays ``key``: looked up (our lookup service), settled by the SPI (the simulator's
    part), and the payment credited back to the anti-scan bucket; its EndToEndId and receiver's ISPB."""
    answer = lookup_key(user=payer.user, key=key)
    ctx.simulator.settle(
        end_to_end_id=answer.end_to_end_id,
        payer_participant=ctx.ispb,
        payer_tax_id=payer.holder.tax_id,
        receiver_key=key,
        amount=amount,
    )
    payment_credit(user=payer.user, end_to_end_id=answer.end_to_end_id)
    return answer.end_to_end_id, answer.ispb


# --- functional tests (art. 16) --------------------------------------------------------------------


def _register(ctx: Rehearsal, customer: Customer, key_type: str, key: str | None, result: StepResult) -> None:
    proof = proven_possession(customer, key_type, key) if needs_possession_proof(key_type) else None
    entry, _ = entry_create(
        user=customer.user,
        account_id=customer.account.pk,
        key_type=key_type,
        key_value=key,
        request_id=uuid.uuid4(),
        possession_challenge_id=proof,
    )
    entry = entry_register(entry_id=entry.pk)
    if result.check(
        entry.status == EntryStatus.ACTIVE, f"{key_type} entry {entry.pk}: {entry.status} {entry.failure_code}".rstrip()
    ):
        ctx.keys[key_type] = entry.key_value
        result.note(
            f"  key {mask_pii(entry.key_value)}, registered {entry.registered_at:%H:%M:%S}, CID {entry.cid[:12]}…"
        )


def step_register_keys(ctx: Rehearsal, result: StepResult) -> None:
    """Register one key of each type (item 1): a new person and a new company for this run."""
    person, company = import_customers([fresh_person(ctx.run, "pessoa"), fresh_company(ctx.run, "empresa")])
    phone = f"+55119{uuid.uuid5(_NAMESPACE, ctx.run).int % 10**8:08d}"
    for customer, key_type, key in (
        (person, KeyType.CPF, person.holder.tax_id),
        (company, KeyType.CNPJ, company.holder.tax_id),
        (person, KeyType.EMAIL, f"ensaio.{ctx.run}@example.com"),
        (person, KeyType.PHONE, phone),
        (person, KeyType.EVP, None),
    ):
        _register(ctx, customer, key_type, key, result)


def step_lookup_keys(ctx: Rehearsal, result: StepResult) -> None:
    """Look up one key of each type (item 2), held by the counterpart, answered by the directory."""
    counterpart = ctx.client(ctx.counterpart)
    for key_type in KeyType:
        legal = key_type == KeyType.CNPJ
        row = fresh_company(ctx.run, f"consulta-{key_type}") if legal else fresh_person(ctx.run, f"consulta-{key_type}")
        key = {
            KeyType.CPF: row["tax_id"],
            KeyType.CNPJ: row["tax_id"],
            KeyType.EMAIL: f"consulta.{ctx.run}@example.com",
            KeyType.PHONE: f"+55219{uuid.uuid5(_NAMESPACE, ctx.run).int % 10**8:08d}",
            KeyType.EVP: None,
        }[key_type]
        owner = Owner(
            person_type=PersonType.LEGAL_PERSON if legal else PersonType.NATURAL_PERSON,
            tax_id=row["tax_id"],
            name=row["name"],
            trade_name=row["trade_name"],
        )
        held = counterpart.create_entry(
            EntryRequest(
                key_type=key_type,
                key=key,
                owner=owner,
                account=_counterparty_account(ctx.counterpart, f"{ctx.run}:{key_type}"),
                request_id=uuid.uuid4(),
            )
        )
        answer = lookup_key(user=ctx.prepared[0].user, key=held.key)
        result.check(
            answer.key_type == key_type and answer.ispb == ctx.counterpart,
            f"{key_type} {mask_pii(held.key)}: {answer.key_type} at {answer.ispb}, EndToEndId {answer.end_to_end_id}",
        )


def step_sync(ctx: Rehearsal, result: StepResult) -> None:
    """One successful sync verification of the prepared type (item 3), after BCB changed and inserted
    keys of that type: our check finds the difference, the repair fixes it, the verification passes."""
    if not ctx.bcb_available:
        result.skip()
        return
    touched = ctx.simulator.tamper(
        participant=ctx.ispb, key_type=ctx.key_type, changes=SYNC_CHANGES, inserts=SYNC_INSERTS
    )
    result.note(
        f"BCB changed {SYNC_CHANGES} and inserted {SYNC_INSERTS} {ctx.key_type} keys: {[mask_pii(k) for k in touched]}"
    )
    (repair,) = sync_check(repair=True, key_types=[ctx.key_type])
    result.check(not repair.ok_before, f"our check saw the difference: {repair.differences} CIDs differ")
    fixes = ", ".join(f"{fix}={count}" for fix, count in sorted(repair.fixes.items())) or "none"
    result.note(f"repair: {fixes}; {repair.deferred} deferred")
    (verification,) = sync_check(key_types=[ctx.key_type])
    result.check(
        verification.ok,
        f"verification {'OK' if verification.ok else 'NOK'}: {verification.count} keys, VSync {verification.ours[:8]}…",
    )


def step_claimer_flow(ctx: Rehearsal, result: StepResult) -> None:
    """As claimer (item 5): create two portabilities of keys the counterpart holds for our customers;
    the counterpart confirms one, our poll completes it; our customer cancels the other."""
    completed_by, cancelled_by = import_customers(
        [fresh_person(ctx.run, "portabilidade"), fresh_person(ctx.run, "desiste")]
    )
    counterpart = ctx.client(ctx.counterpart)
    started = {}
    for customer in (completed_by, cancelled_by):
        counterpart.create_entry(
            EntryRequest(
                key_type=KeyType.CPF,
                key=customer.holder.tax_id,
                owner=_owner(customer),
                account=_counterparty_account(ctx.counterpart, f"{ctx.run}:{customer.holder.tax_id}"),
                request_id=uuid.uuid4(),
            )
        )
        claim, _ = portability_start(
            user=customer.user,
            account_id=customer.account.pk,
            key_type=KeyType.CPF,
            key=customer.holder.tax_id,
            request_id=uuid.uuid4(),
        )
        started[customer.holder.pk] = claim
        result.note(f"created portability {claim.dict_id} ({claim.status})")
    completing = started[completed_by.holder.pk]
    counterpart.acknowledge_claim(completing.dict_id)
    confirmed = counterpart.confirm_claim(completing.dict_id, reason=ClaimReason.USER_REQUESTED)
    result.note(f"counterpart confirmed {confirmed.id} at {confirmed.last_modified:%H:%M:%S}")
    ctx.wait_for(lambda: Claim.objects.filter(pk=completing.pk, status=ClaimStatus.COMPLETED).exists())
    completing.refresh_from_db()
    remote = get_client().get_claim(completing.dict_id)
    result.check(
        completing.status == ClaimStatus.COMPLETED and remote.status == ClaimStatus.COMPLETED,
        f"our scheduled poll completed {completing.dict_id}: here {completing.status}, at DICT {remote.status}",
    )
    arrived = Entry.objects.filter(LIVE, key_value=completing.key, account=completed_by.account).first()
    result.check(
        arrived is not None and arrived.status == EntryStatus.ACTIVE,
        f"the key is ours: entry {arrived.pk if arrived else None} {arrived.status if arrived else ''}".rstrip(),
    )
    withdrawn = started[cancelled_by.holder.pk]
    withdrawn = portability_cancel(
        user=cancelled_by.user, claim_id=withdrawn.pk, otp=second_factor_code(cancelled_by.user)
    )
    remote = get_client().get_claim(withdrawn.dict_id)
    result.check(
        withdrawn.status == ClaimStatus.CANCELLED and remote.status == ClaimStatus.CANCELLED,
        f"cancelled {withdrawn.dict_id}: here {withdrawn.status}, at DICT {remote.status} ({remote.cancel_reason})",
    )


# --- MED (items 6 and 7) -----------------------------------------------------------------------------

CONTACT = ContactInformation(email="fraude.ensaio@example.com", phone="+5511999990000")
DETAILS = "Ensaio de homologacao: o cliente relata um golpe."


def _counterpart_key(ctx: Rehearsal) -> str:
    """An EVP key the counterpart holds for one of its customers: where our customers' MED payments go."""
    if not ctx.counterpart_key:
        row = fresh_person(ctx.run, "recebedor")
        owner = Owner(person_type=PersonType.NATURAL_PERSON, tax_id=row["tax_id"], name=row["name"], trade_name="")
        held = ctx.client(ctx.counterpart).create_entry(
            EntryRequest(
                key_type=KeyType.EVP,
                key=None,
                owner=owner,
                account=_counterparty_account(ctx.counterpart, f"{ctx.run}:recebedor"),
                request_id=uuid.uuid4(),
            )
        )
        ctx.counterpart_key = held.key
    return ctx.counterpart_key


def _bcb_pays_us(ctx: Rehearsal, amount: Decimal) -> str:
    """BCB's virtual paying participant pays one of our prepared customers' keys; the EndToEndId."""
    end_to_end_id = new_end_to_end_id(ispb=BCB_PAYING, at=timezone.now())
    ctx.simulator.settle(
        end_to_end_id=end_to_end_id,
        payer_participant=BCB_PAYING,
        payer_tax_id=fresh_person(ctx.run, "pagador")["tax_id"],
        receiver_key=ctx.prepared[-1].holder.tax_id,
        amount=amount,
    )
    return end_to_end_id


def _returned(ispb: str) -> str:
    """A RefundTransactionId: the pacs.004 that returned the money (32 characters, as a RtrId)."""
    return "D" + new_end_to_end_id(ispb=ispb, at=timezone.now())[1:]


def step_infraction_flow(ctx: Rehearsal, result: StepResult) -> None:
    """Infraction reports (item 6): we create one the counterpart acknowledges and closes AGREED, and
    create and cancel another; BCB's paying participant reports a payment to us, which our poll
    acknowledges and we close."""
    if not ctx.bcb_available:  # the payments reported are settled by the SPI: the simulator's part
        result.skip()
        return
    payer, fraud = ctx.prepared[0], ctx.fraud_team
    counterpart = ctx.client(ctx.counterpart)
    ctx.agreed_payment, _ = _pay(ctx, payer, _counterpart_key(ctx), Decimal("100.00"))
    report, _ = report_open(
        user=fraud,
        transaction_id=ctx.agreed_payment,
        situation_type="SCAM",
        request_id=uuid.uuid4(),
        **_contact(),
    )
    result.note(f"created report {report.dict_id} on {ctx.agreed_payment} ({report.status})")
    counterpart.acknowledge_infraction_report(report.dict_id)
    counterpart.close_infraction_report(
        report.dict_id, analysis_result="AGREED", fraud_type="SCAMMER_ACCOUNT", analysis_details=DETAILS
    )
    ctx.wait_for(lambda: InfractionReport.objects.filter(pk=report.pk, status="CLOSED").exists())
    report.refresh_from_db()
    result.check(
        (report.status, report.analysis_result) == ("CLOSED", "AGREED"),
        f"the counterpart acknowledged and closed it; our scheduled poll: {report.status} {report.analysis_result}",
    )
    withdrawn_payment, _ = _pay(ctx, payer, _counterpart_key(ctx), Decimal("10.00"))
    withdrawn, _ = report_open(
        user=fraud, transaction_id=withdrawn_payment, situation_type="SCAM", request_id=uuid.uuid4(), **_contact()
    )
    withdrawn = report_cancel(user=fraud, report_id=withdrawn.pk)
    at_dict = get_client().get_infraction_report(withdrawn.dict_id)
    result.check(
        withdrawn.status == at_dict.status == "CANCELLED",
        f"cancelled report {withdrawn.dict_id}: here {withdrawn.status}, at DICT {at_dict.status}",
    )
    ctx.bcb_agreed_payment = _bcb_pays_us(ctx, Decimal("100.00"))
    incoming = ctx.client(BCB_PAYING).create_infraction_report(
        InfractionReportRequest(
            transaction_id=ctx.bcb_agreed_payment,
            reason="REFUND_REQUEST",
            situation_type="SCAM",
            contact=CONTACT,
            report_details=DETAILS,
        )
    )
    theirs = InfractionReport.objects.filter(dict_id=incoming.id, role="COUNTERPARTY")
    acknowledged = ctx.wait_for(lambda: theirs.filter(status="ACKNOWLEDGED").exists())
    if not result.check(acknowledged, f"BCB's report {incoming.id}: our scheduled poll acknowledged it"):
        return
    ours = theirs.get()
    ours = report_close(
        user=fraud, report_id=ours.pk, analysis_result="AGREED", fraud_type="SCAMMER_ACCOUNT", analysis_details=DETAILS
    )
    at_dict = ctx.client(BCB_PAYING).get_infraction_report(incoming.id)
    result.check(
        ours.status == at_dict.status == "CLOSED",
        f"we closed it AGREED: here {ours.status}, at DICT {at_dict.status} (fraud marker {at_dict.fraud_marker_id})",
    )


def _contact() -> dict[str, str]:
    return {"email": CONTACT.email, "phone": CONTACT.phone, "report_details": DETAILS}


def step_refund_flow(ctx: Rehearsal, result: StepResult) -> None:
    """Refunds (item 7): we request one for FRAUD (on the report the counterpart agreed) and one for
    OPERATIONAL_FLAW, which the counterpart completes; we complete the two BCB's paying participant
    requests against us."""
    if not ctx.bcb_available:
        result.skip()
        return
    fraud, counterpart, bcb = ctx.fraud_team, ctx.client(ctx.counterpart), ctx.client(BCB_PAYING)
    if not result.check(bool(ctx.agreed_payment), "a payment the counterpart agreed was fraud (step 6)"):
        return
    flaw_payment, _ = _pay(ctx, ctx.prepared[0], _counterpart_key(ctx), Decimal("50.00"))
    ours = [
        refund_request(
            user=fraud, transaction_id=ctx.agreed_payment, reason="FRAUD", amount="100.00", request_id=uuid.uuid4()
        )[0],
        refund_request(
            user=fraud,
            transaction_id=flaw_payment,
            reason="OPERATIONAL_FLAW",
            amount="50.00",
            request_id=uuid.uuid4(),
            details="Pagamento em duplicidade (ensaio).",
        )[0],
    ]
    for refund in ours:
        result.note(f"requested {refund.reason} refund {refund.dict_id} ({refund.status})")
        counterpart.close_refund(
            refund.dict_id,
            close=RefundClose(result="TOTALLY_ACCEPTED", refund_transaction_id=_returned(ctx.counterpart)),
        )
    ctx.wait_for(lambda: Refund.objects.filter(pk__in=[r.pk for r in ours], status="CLOSED").count() == len(ours))
    for refund in ours:
        refund.refresh_from_db()
        result.check(
            (refund.status, refund.analysis_result) == ("CLOSED", "TOTALLY_ACCEPTED"),
            f"counterpart completed {refund.reason} refund {refund.dict_id}: {refund.status} {refund.analysis_result}",
        )
    if not result.check(bool(ctx.bcb_agreed_payment), "a payment to us we agreed was fraud (step 6)"):
        return
    requested = [
        bcb.create_refund(
            RefundRequest(transaction_id=ctx.bcb_agreed_payment, reason="FRAUD", amount=Decimal("100.00"))
        ),
        bcb.create_refund(
            RefundRequest(
                transaction_id=_bcb_pays_us(ctx, Decimal("30.00")),
                reason="OPERATIONAL_FLAW",
                amount=Decimal("30.00"),
                details="Pagamento em duplicidade (ensaio).",
            )
        ),
    ]
    contested = Refund.objects.filter(dict_id__in=[remote.id for remote in requested], role="CONTESTED")
    seen = ctx.wait_for(lambda: contested.count() == len(requested))
    if not result.check(
        seen, f"our scheduled poll brought BCB's {len(requested)} refund requests: {contested.count()}"
    ):
        return
    for remote in requested:
        row = contested.get(dict_id=remote.id)
        row = refund_close(
            user=fraud, refund_id=row.pk, result="TOTALLY_ACCEPTED", refund_transaction_id=_returned(ctx.ispb)
        )
        at_dict = bcb.get_refund(remote.id)
        result.check(
            row.status == at_dict.status == "CLOSED",
            f"we completed BCB's {remote.reason} refund {remote.id}: here {row.status}, at DICT {at_dict.status}",
        )


# --- BCB's claims on our keys, throughout the run (art. 13), and their acknowledgement (item 4) ------

_RANDOM = secrets.SystemRandom()


def bcb_claims_portability(ctx: Rehearsal, index: int) -> None:
    """BCB opens a portability of one of our prepared keys (the same person, at its participant)."""
    customer = ctx.prepared[index]
    _bcb_claim(ctx, ClaimType.PORTABILITY, ctx.key_type, customer.holder.tax_id, _owner(customer))


def bcb_claims_ownership(ctx: Rehearsal) -> None:
    """BCB opens an ownership claim on our customer's phone key (another person says it is theirs)."""
    row = fresh_person(ctx.run, "reivindicante")
    claimer = Owner(person_type=PersonType.NATURAL_PERSON, tax_id=row["tax_id"], name=row["name"], trade_name="")
    _bcb_claim(ctx, ClaimType.OWNERSHIP, KeyType.PHONE, ctx.keys[KeyType.PHONE], claimer)


def _bcb_claim(ctx: Rehearsal, claim_type: str, key_type: str, key: str, claimer: Owner) -> None:
    claim = ctx.client(BCB_CLAIMER).create_claim(
        ClaimRequest(
            claim_type=claim_type,
            key=key,
            key_type=key_type,
            claimer_account=_counterparty_account(BCB_CLAIMER, f"{ctx.run}:{key}"),
            claimer=claimer,
        )
    )
    ctx.bcb_claims[claim.id] = claim
    ctx.say(f"  BCB opened {claim_type.lower()} claim {claim.id} at {claim.created_at:%H:%M:%S}")


class BcbClaims:
    """BCB's claims on our keys, opened on a thread of their own at random moments while the exam's
    steps run (art. 13: claims come throughout the hour, at moments the PSP does not know). The gap
    before each is uniform between 0 and two poll periods, so claims land at any phase of our poll;
    what is still due when step 7 ends opens then. The ownership claim waits for step 1's phone key."""

    def __init__(self, ctx: Rehearsal) -> None:
        self.ctx = ctx
        self._due: list[tuple[Callable[[], bool], Callable[[], None]]] = [
            (lambda: len(ctx.prepared) > 1, lambda: bcb_claims_portability(ctx, 1)),
            (lambda: KeyType.PHONE in ctx.keys, lambda: bcb_claims_ownership(ctx)),
            (lambda: len(ctx.prepared) > 2, lambda: bcb_claims_portability(ctx, 2)),
        ]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rehearsal-bcb-claims", daemon=True)

    def start(self) -> None:
        self.ctx.client(BCB_CLAIMER)  # made before the thread starts: the two threads then only read it
        self._thread.start()

    def stop(self) -> None:
        """The end of step 7: what is still due opens now; returns when the thread is done."""
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while self._due and not self._stopping.wait(_RANDOM.uniform(0, 2 * poll_period())):
                self._open(next((move for move in self._due if move[0]()), None))
            for move in [move for move in self._due if move[0]()]:
                self._open(move)
        finally:
            connection.close()  # this thread's own connection (the embedded directory's writes)

    def _open(self, move: tuple[Callable[[], bool], Callable[[], None]] | None) -> None:
        if move is None:  # nothing ready yet (the phone key of step 1): try again at the next moment
            return
        self._due.remove(move)
        close_old_connections()
        try:
            move[1]()
        except Exception as error:
            logger.exception("BCB's claim failed")
            self.ctx.say(f"  BCB's claim failed: {describe(error)}")


def _acknowledged_at(ctx: Rehearsal, claim: DirectoryClaim) -> datetime | None:
    """DICT's time of the donor's acknowledgement (the first change after OPEN), watched as BCB until
    ACKNOWLEDGE_WITHIN after the claim by DICT's clock; None if the claim was still OPEN then."""
    bcb, deadline = ctx.client(BCB_CLAIMER), claim.created_at + ACKNOWLEDGE_WITHIN
    while True:
        past = bcb.health() > deadline  # DICT's clock first: an acknowledgement just before it still counts
        remote = bcb.get_claim(claim.id)
        if remote.status != ClaimStatus.OPEN:
            return remote.last_modified
        if past:
            return None
        time.sleep(WATCH_EVERY)


def step_incoming_claims(ctx: Rehearsal, result: StepResult) -> None:
    """Every claim BCB opened on our keys during the run acknowledged within a minute (item 4), by DICT's
    timestamps. This step only watches DICT as BCB: the acknowledgement is the PSP's scheduled jobs'
    (``--scheduled-jobs``), never the rehearsal's. Then BCB withdraws its claims and our scheduled
    poll brings that back (the keys stay ours)."""
    if not ctx.bcb_available:
        result.skip()
        return
    if not result.check(bool(ctx.bcb_claims), f"BCB opened {len(ctx.bcb_claims)} claims during the run"):
        return
    for claim_id, claim in ctx.bcb_claims.items():
        acknowledged = _acknowledged_at(ctx, claim)
        took = f"{(acknowledged - claim.created_at).total_seconds():.1f}s" if acknowledged else "never"
        result.check(
            acknowledged_in_time(created_at=claim.created_at, acknowledged_at=acknowledged),
            f"{claim.claim_type} {claim_id}: opened {claim.created_at:%H:%M:%S}, acknowledged after {took} "
            f"(limit {ACKNOWLEDGE_WITHIN.total_seconds():.0f}s)",
        )
    bcb = ctx.client(BCB_CLAIMER)
    for claim_id in ctx.bcb_claims:
        bcb.cancel_claim(claim_id, reason=ClaimReason.USER_REQUESTED)
    cancelled = Claim.objects.filter(dict_id__in=list(ctx.bcb_claims), role=Role.DONOR, status=ClaimStatus.CANCELLED)
    ctx.wait_for(lambda: cancelled.count() == len(ctx.bcb_claims))
    result.check(
        cancelled.count() == len(ctx.bcb_claims),
        f"withdrawn by BCB, seen here as CANCELLED by our scheduled poll: {cancelled.count()}",
    )
    kept = Entry.objects.filter(status=EntryStatus.ACTIVE, key_value__in=[c.key for c in ctx.bcb_claims.values()])
    result.check(kept.count() == len(ctx.bcb_claims), f"the claimed keys are still ours: {kept.count()}")


# --- the run ----------------------------------------------------------------------------------------

PREPARATION: tuple[tuple[str, Step], ...] = (
    ("Directory and BCB's part", step_directory),
    ("Preparation: no pending claims or reports", step_nothing_pending),
    ("Preparation: prepared keys", step_prepared_keys),
    ("Preparation: five payments to BCB's receiving participant", step_payments),
)
EXAM: tuple[tuple[str, Step], ...] = (  # BCB's claims arrive while these run
    ("1. Register one key of each type", step_register_keys),
    ("2. Look up one key of each type", step_lookup_keys),
    ("3. Sync verification after BCB's changes", step_sync),
    ("5. Claims as claimer: create, confirm, complete, cancel", step_claimer_flow),
    ("6. Infraction reports: create, acknowledge, close, cancel", step_infraction_flow),
    ("7. Refunds: OPERATIONAL_FLAW and FRAUD, and BCB's against us", step_refund_flow),
)
INCOMING = ("4. Incoming claims acknowledged within a minute", step_incoming_claims)
FUNCTIONAL_STEPS = (*PREPARATION, *EXAM, INCOMING)


def run_step(ctx: Rehearsal, name: str, step: Step) -> StepResult:
    """One step, timed; an error ends it as FAIL with what went wrong (a DICT refusal by its code)."""
    result = StepResult(name=name)
    started = time.monotonic()
    try:
        step(ctx, result)
    except SimulatorUnavailable:
        ctx.bcb_available = False
        result.skip()
    except Exception as error:
        logger.exception("rehearsal step %r failed", name)
        result.fail(describe(error))
    result.seconds = time.monotonic() - started
    return result


def run_functional(ctx: Rehearsal, *, report_step: Callable[[StepResult], None]) -> list[StepResult]:
    """The preparation; then the exam's steps while BCB's claims arrive on their own thread; then step 4,
    which watches how those claims were acknowledged."""
    results: list[StepResult] = []

    def run(steps: tuple[tuple[str, Step], ...]) -> None:
        for name, step in steps:
            results.append(run_step(ctx, name, step))
            report_step(results[-1])

    try:
        run(PREPARATION)
        claims = BcbClaims(ctx) if ctx.bcb_available else None
        if claims is not None:
            claims.start()
        try:
            run(EXAM)
        finally:
            if claims is not None:
                claims.stop()
        run((INCOMING,))
    finally:
        ctx.close()
    return results

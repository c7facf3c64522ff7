"""MED between two PSPs (ISPB A and B) and one directory: infraction reports, fraud markers, refunds.

Real processes: run_dictsim, and for each PSP gunicorn, a Celery worker and Celery beat (each PSP with
a broker of its own, the beat schedule scaled so MED's poll runs every ~1.2 s). Nothing here calls a
PSP's services: its fraud team and risk engine use its REST API with tokens of their own, and what
the other side sees arrives through that side's beat and worker. Payments are settled at the
directory's SPI with ``dictsim_settle``, and its clock is advanced with ``dictsim_clock``, as an
operator would. One world for the module; the test that advances the clock runs last.
"""

import secrets
import string
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.e2e_support import (
    BIN,
    Directory,
    Instance,
    RedisServer,
    call,
    manage,
    running,
    two_psps,
    wait_until,
)

pytestmark = pytest.mark.e2e

ISPB_A, ISPB_B = "66666666", "77777777"
ALICE_CPF = "52998224725"  # seed_demo's alice, A's customer who pays
BOB_KEY = "bob.recebe@example.com"  # bob's key at B, the receiver
CONTACT = {"email": "fraude@psp-a.example.com", "phone": "+5511999990000"}
# Users of the PSPs' own services (not staff, no holder), with seed_demo's password rule.
SERVICE_USERS = (("fraud-team", "Fraud team"), ("risk-engine", "Risk engine"))
CREATE_SERVICE_USERS = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
for username, role in {SERVICE_USERS!r}:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(f"{{username}}-demo-pass")
    user.save()
    user.groups.add(Group.objects.get(name=role))
"""


TOKENS: dict[tuple[str, str], str] = {}  # (instance, username): its access token


@dataclass(frozen=True)
class World:
    directory: Directory
    a: Instance
    b: Instance


def with_worker_and_beat(stack: ExitStack, instance: Instance, scratch: Path) -> None:
    """The PSP's Celery worker and beat on a broker of its own (both PSPs share the cache's Redis, whose
    keys they prefix; a broker's queue has no prefix, so one would take the other's jobs)."""
    broker = RedisServer()
    broker.start()
    stack.callback(broker.kill)
    env = instance.env | {
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SCHEDULE_SCALE": "0.02",  # MED's poll (and every beat job) 50 times as often
        "WORKER_HEARTBEAT_FILE": str(scratch / "worker.alive"),
        "BEAT_HEARTBEAT_FILE": str(scratch / "beat.alive"),
    }
    worker = [str(BIN / "celery"), "-A", "dict_project", "worker", "--pool", "solo", "-l", "warning"]
    beat = [str(BIN / "celery"), "-A", "dict_project", "beat", "-s", str(scratch / "beat"), "-l", "warning"]
    stack.enter_context(running(worker, env, log=scratch / "worker.log"))
    stack.enter_context(running(beat, env, log=scratch / "beat.log"))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    with two_psps(ISPB_A, ISPB_B, redis_db=4) as (directory, a, b), ExitStack() as stack:
        for name, instance in (("a", a), ("b", b)):
            made = manage(instance.env, "shell", "-c", CREATE_SERVICE_USERS, check=False)
            assert made.returncode == 0, made.stderr
            with_worker_and_beat(stack, instance, tmp_path_factory.mktemp(f"psp-{name}"))
        b.create(b.token("bob"), "EMAIL", BOB_KEY)
        yield World(directory, a, b)


def token(instance: Instance, username: str) -> str:
    """One login per user and instance: logins are throttled per address (LOGIN_RATE_PER_ADDRESS), and an
    access token outlives the module's run."""
    if (instance.base, username) not in TOKENS:
        TOKENS[instance.base, username] = instance.token(username)
    return TOKENS[instance.base, username]


def api(instance: Instance, method: str, path: str, body: dict | None = None, *, as_: str) -> tuple[int, dict]:
    return call(method, f"{instance.base}/api/v1/{path}", body, token(instance, as_))


def looked_up(world: World) -> str:
    """Alice at A looks bob's key up before paying him: the EndToEndId her payment will carry."""
    status, answer = api(world.a, "GET", f"lookup/{quote(BOB_KEY, safe='')}/", as_="alice")
    assert status == 200, answer
    return answer["end_to_end_id"]


def paid(world: World, amount: str, *, settled: bool = True) -> str:
    """Alice at A pays bob's key after looking it up; the directory's SPI records it (dictsim_settle)."""
    e2e = looked_up(world)
    settle = ("--e2e", e2e, "--payer-participant", ISPB_A, "--payer-tax-id", ALICE_CPF, "--key", BOB_KEY)
    manage(world.directory.env, "dictsim_settle", *settle, "--amount", amount, *([] if settled else ["--not-settled"]))
    return e2e


def report_body(e2e: str) -> dict:
    return {"transaction_id": e2e, "situation_type": "SCAM", "request_id": str(uuid.uuid4()), **CONTACT}


def acknowledged(world: World, e2e: str) -> tuple[dict, dict]:
    """A's fraud team reports the payment; B's poll acknowledges it. A's copy as opened and B's as acknowledged."""
    status, ours = api(world.a, "POST", "med/infraction-reports/", report_body(e2e), as_="fraud-team")
    assert (status, ours["status"], ours["role"]) == (201, "OPEN", "REPORTER"), ours
    return ours, reaches(world.b, "infraction-reports", "COUNTERPARTY", e2e, status="ACKNOWLEDGED")


def closed_agreed(world: World, theirs: dict) -> dict:
    """B's fraud team agrees (a scammer's account); A's poll brings the close. A's copy."""
    close = {"analysis_result": "AGREED", "fraud_type": "SCAMMER_ACCOUNT"}
    status, closed = api(world.b, "POST", f"med/infraction-reports/{theirs['id']}/close/", close, as_="fraud-team")
    assert (status, closed["status"], closed["fraud_type"]) == (200, "CLOSED", "SCAMMER_ACCOUNT"), closed
    assert closed["fraud_marker_dict_id"]  # DICT marked B's customer
    e2e = theirs["transaction_id"]
    return reaches(world.a, "infraction-reports", "REPORTER", e2e, status="CLOSED", analysis_result="AGREED")


def listed(instance: Instance, kind: str, role: str, e2e: str) -> dict | None:
    """The instance's copy of DICT's report or refund about ``e2e`` where it has ``role``, as its API lists it
    (not a request DICT refused, which is listed too, FAILED with DICT's code and no DICT id)."""
    query = urlencode({"role": role, "page_size": 100})
    status, page = api(instance, "GET", f"med/{kind}/?{query}", as_="fraud-team")
    assert status == 200, page
    return next((item for item in page["results"] if item["transaction_id"] == e2e and item["dict_id"]), None)


def reaches(instance: Instance, kind: str, role: str, e2e: str, **expected: str) -> dict:
    """Wait for the instance's beat and worker to bring its copy to ``expected``; the copy."""

    def there() -> bool:
        item = listed(instance, kind, role, e2e)
        return item is not None and all(item[name] == value for name, value in expected.items())

    try:
        wait_until(there, f"{kind} about {e2e} as {role}: {expected}", 60)
    except TimeoutError as late:
        raise AssertionError(f"{late}; it is {listed(instance, kind, role, e2e)}") from None
    return listed(instance, kind, role, e2e)


def statistics(world: World) -> dict:
    """DICT's statistics of bob's key, as A's risk engine sees them in a lookup for alice's payment."""
    alice_account = api(world.a, "GET", "accounts/", as_="alice")[1]["results"][0]["id"]
    query = urlencode({"include_statistics": "true", "payer_account_id": alice_account})
    status, answer = api(world.a, "GET", f"lookup/{quote(BOB_KEY, safe='')}/?{query}", as_="risk-engine")
    assert status == 200, answer
    return answer["statistics"]["key"]


def refund_transaction_id() -> str:
    """A pacs.004's id: 32 letters and digits."""
    return "D" + ISPB_B + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(23))


def refusal(reply: tuple[int, dict]) -> tuple[int, str]:
    status, problem = reply
    return status, problem.get("code", "")


def test_a_report_is_acknowledged_by_bs_poll_and_its_agreed_close_shows_in_as_lookup_statistics(world) -> None:
    before = statistics(world)
    e2e = paid(world, "100.00")
    _, theirs = acknowledged(world, e2e)
    assert (theirs["reporter_participant"], theirs["counterparty_participant"]) == (ISPB_A, ISPB_B)
    reaches(world.a, "infraction-reports", "REPORTER", e2e, status="ACKNOWLEDGED")
    during = statistics(world)
    assert during["settlements"]["d90"] == before["settlements"]["d90"] + 1
    assert during["open_reports"] == before["open_reports"] + 1

    closed_agreed(world, theirs)

    after = statistics(world)
    assert after["scammer_accounts"]["d90"] == before["scammer_accounts"]["d90"] + 1
    assert after["open_reports"] == before["open_reports"]
    assert after["distinct_fraud_reporters"]["d90"] == 1  # B, who closed it, made the marker
    assert after["total_fraud_transaction_amount"]["d90"] >= 100
    # The customer's own lookup never carries them, and a customer may not ask.
    status, plain = api(world.a, "GET", f"lookup/{quote(BOB_KEY, safe='')}/", as_="alice")
    assert status == 200 and "statistics" not in plain
    asked = api(world.a, "GET", f"lookup/{quote(BOB_KEY, safe='')}/?include_statistics=true", as_="alice")
    assert refusal(asked) == (403, "Forbidden")


def test_a_refund_asked_by_a_is_answered_by_b_within_its_deadlines(world) -> None:
    e2e = paid(world, "80.00")
    ours = closed_agreed(world, acknowledged(world, e2e)[1])

    too_much = {"transaction_id": e2e, "reason": "FRAUD", "amount": "80.01", "request_id": str(uuid.uuid4())}
    assert refusal(api(world.a, "POST", "med/refunds/", too_much, as_="fraud-team")) == (400, "RefundInvalid")
    asked = too_much | {"amount": "80.00", "request_id": str(uuid.uuid4())}
    status, refund = api(world.a, "POST", "med/refunds/", asked, as_="fraud-team")
    assert (status, refund["status"], refund["role"]) == (201, "OPEN", "REQUESTING"), refund
    asked_at, deadline = (datetime.fromisoformat(t) for t in (refund["dict_created_at"], ours["refund_deadline"]))
    assert asked_at <= deadline  # within 72 h of the AGREED close, on the directory's clock
    again = asked | {"amount": "10.00", "request_id": str(uuid.uuid4())}
    assert refusal(api(world.a, "POST", "med/refunds/", again, as_="fraud-team")) == (
        409,
        "RefundAlreadyBeingProcessedForTransaction",
    )

    theirs = reaches(world.b, "refunds", "CONTESTED", e2e, status="OPEN")
    assert (theirs["amount"], theirs["reason"]) == ("80.00", "FRAUD")
    wrong_side = {"result": "TOTALLY_ACCEPTED", "refund_transaction_id": refund_transaction_id()}
    assert refusal(api(world.a, "POST", f"med/refunds/{refund['id']}/close/", wrong_side, as_="fraud-team")) == (
        409,
        "RefundOperationInvalid",
    )  # only the contested PSP answers
    answer = {"result": "TOTALLY_ACCEPTED", "refund_transaction_id": refund_transaction_id()}
    status, closed = api(world.b, "POST", f"med/refunds/{theirs['id']}/close/", answer, as_="fraud-team")
    assert (status, closed["status"], closed["analysis_result"]) == (200, "CLOSED", "TOTALLY_ACCEPTED"), closed
    done = reaches(world.a, "refunds", "REQUESTING", e2e, status="CLOSED", analysis_result="TOTALLY_ACCEPTED")
    assert done["refund_transaction_id"] == answer["refund_transaction_id"]
    after = asked | {"amount": "1.00", "request_id": str(uuid.uuid4())}
    assert refusal(api(world.a, "POST", "med/refunds/", after, as_="fraud-team")) == (
        409,
        "RefundAlreadyProcessedForTransaction",
    )


def test_every_refused_move_answers_dicts_code(world) -> None:
    e2e = paid(world, "50.00")
    ours, theirs = acknowledged(world, e2e)
    assert refusal(api(world.a, "POST", "med/infraction-reports/", report_body(e2e), as_="fraud-team")) == (
        409,
        "InfractionReportAlreadyBeingProcessedForTransaction",
    )
    close = {"analysis_result": "AGREED", "fraud_type": "MULE_ACCOUNT"}
    assert refusal(api(world.a, "POST", f"med/infraction-reports/{ours['id']}/close/", close, as_="fraud-team")) == (
        409,
        "InfractionReportOperationInvalid",
    )  # the reporter may not close its own report
    assert refusal(api(world.b, "POST", f"med/infraction-reports/{theirs['id']}/cancel/", as_="fraud-team")) == (
        409,
        "InfractionReportOperationInvalid",
    )  # only the reporter withdraws it
    no_reason = {"analysis_result": "AGREED"}
    assert refusal(
        api(world.b, "POST", f"med/infraction-reports/{theirs['id']}/close/", no_reason, as_="fraud-team")
    ) == (400, "InfractionReportInvalid")  # AGREED names the fraud type
    disagreed = {"analysis_result": "DISAGREED", "analysis_details": "The receiver sold and delivered the goods."}
    status, closed = api(world.b, "POST", f"med/infraction-reports/{theirs['id']}/close/", disagreed, as_="fraud-team")
    assert (status, closed["analysis_result"]) == (200, "DISAGREED"), closed
    reaches(world.a, "infraction-reports", "REPORTER", e2e, status="CLOSED", analysis_result="DISAGREED")
    assert refusal(api(world.a, "POST", "med/infraction-reports/", report_body(e2e), as_="fraud-team")) == (
        409,
        "InfractionReportAlreadyProcessedForTransaction",
    )
    fraud = {"transaction_id": e2e, "reason": "FRAUD", "amount": "50.00", "request_id": str(uuid.uuid4())}
    assert refusal(api(world.a, "POST", "med/refunds/", fraud, as_="fraud-team")) == (
        422,
        "RefundInfractionReportNotFound",
    )  # a DISAGREED close is no ground for a FRAUD refund

    for transaction, code in (
        (looked_up(world), "InfractionReportTransactionNotFound"),  # looked up, never paid
        (paid(world, "5.00", settled=False), "InfractionReportTransactionNotSettled"),
    ):
        reply = api(world.a, "POST", "med/infraction-reports/", report_body(transaction), as_="fraud-team")
        assert refusal(reply) == (422, code)
    assert refusal(api(world.a, "POST", "med/infraction-reports/", report_body(e2e), as_="alice")) == (
        403,
        "Forbidden",
    )  # MED is the fraud team's, never a customer's


def test_a_fraud_refund_more_than_72_hours_after_the_close_is_refused(world) -> None:
    """A's own check of the 72 h runs on A's clock and lets the request through; DICT's clock, moved on
    past the deadline, refuses it. Runs last: it moves the directory's clock on for everyone."""
    e2e = paid(world, "30.00")
    closed_agreed(world, acknowledged(world, e2e)[1])
    manage(world.directory.env, "dictsim_clock", "--advance", "73h")
    late = {"transaction_id": e2e, "reason": "FRAUD", "amount": "30.00", "request_id": str(uuid.uuid4())}
    assert refusal(api(world.a, "POST", "med/refunds/", late, as_="fraud-team")) == (422, "RefundPeriodExpired")
    assert listed(world.b, "refunds", "CONTESTED", e2e) is None  # nothing reached B

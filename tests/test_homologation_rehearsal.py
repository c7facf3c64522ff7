"""`manage.py homologation_rehearsal`: BCB's functional exam (DICT_RULES §11) against the embedded
dictsim in-process and against `run_dictsim` over gRPC (its SimulatorService playing BCB's part).

The PSP's polls run only as scheduled jobs (beat's thread, or nobody), on their own database
connections: hence transactional tests, and beat's schedule shortened as SCHEDULE_SCALE does."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.models import Claim
from connect.grpc_simulator import GrpcDirectorySimulator
from connect.simulator import SimulatorUnavailable
from dict_rules.claims import ClaimStatus, Role
from homologation.domain import EXIT_CODES, Verdict
from homologation.steps import FUNCTIONAL_STEPS
from keys.domain import EntryStatus
from keys.models import Entry
from tests.e2e_support import Directory, base_env, manage, scratch_database

pytestmark = pytest.mark.alone  # beat's schedule and BCB's threads for minutes: nothing beside them (Makefile)

STEP_NAMES = [name for name, _ in FUNCTIONAL_STEPS]
SCALE = 0.05  # every scheduled job 20 times as often: the polls every 3 s


@pytest.fixture
def fast_schedule(settings) -> None:
    """beat's own schedule, every period shortened (what SCHEDULE_SCALE does for a process)."""
    settings.CELERY_BEAT_SCHEDULE = {
        name: {**entry, "schedule": entry["schedule"] * SCALE} for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }


def rehearse(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("homologation_rehearsal", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def outcomes(stdout: str) -> dict[str, str]:
    """Each step's outcome as the command printed it."""
    return {match[2]: match[1] for match in re.finditer(r"^(PASS|FAIL|SKIP)  (.+) \(\d+\.\d+s\)$", stdout, re.M)}


@pytest.mark.django_db
def test_a_directory_not_named_for_rehearsals_is_refused_before_anything_is_made() -> None:
    """Pointed at the production DICT, the rehearsal would register made-up people's keys there."""
    with pytest.raises(CommandError, match="not one the homologation rehearsal may act on"):
        rehearse("--connect-url", "dict.pi.rsfn.net.br:443", "--prepared-keys", "5")
    assert not Entry.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_schedule")
def test_the_whole_functional_rehearsal_passes_twice_on_the_embedded_directory(tmp_path: Path) -> None:
    report = tmp_path / "rehearsal.md"
    stdout, stderr = rehearse("--report", str(report))

    assert outcomes(stdout) == dict.fromkeys(STEP_NAMES, "PASS"), stdout
    assert "prepared keys: 1000 registered" in stderr  # progress of the preparation
    assert Entry.objects.filter(key_type="CPF", status=EntryStatus.ACTIVE).count() >= 1000
    text = report.read_text()
    assert "- Verdict: **PASS**" in text
    assert "1000 of 1000 prepared CPF keys ACTIVE" in text
    assert "5 payments settled to 99999991" in text
    assert re.search(r"OWNERSHIP [0-9a-f-]{36}: opened .*, acknowledged after \d+\.\ds \(limit 60s\)", text)
    assert "repair: deleted_at_dict=2, updated_at_dict=3" in text
    assert re.search(r"BCB's report [0-9a-f-]{36}: our scheduled poll acknowledged it", text)
    assert "Skipped" not in text
    assert (
        len(re.findall(r"we completed BCB's (FRAUD|OPERATIONAL_FLAW) refund .*: here CLOSED, at DICT CLOSED", text))
        == 2
    )
    assert not Claim.objects.open().exists()  # the run leaves nothing pending for the next

    # A second run on the same database passes too: the preparation only tops up, the rest is fresh.
    html = tmp_path / "rehearsal.html"
    stdout, _ = rehearse("--report", str(html))
    assert outcomes(stdout) == dict.fromkeys(STEP_NAMES, "PASS"), stdout
    assert "0 keys registered by this run" in stdout
    assert html.read_text().startswith("<!doctype html>")
    assert "Verdict: <strong>PASS</strong>" in html.read_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_schedule")
def test_a_directory_refusing_the_claimer_flow_fails_the_rehearsal(tmp_path: Path, settings) -> None:
    """With ourselves as the counterpart, DICT refuses the portability (the claimer already holds the
    key): that step FAILs with DICT's code, the others still run, and the command exits non-zero."""
    out, report = io.StringIO(), tmp_path / "failed.md"
    with pytest.raises(CommandError, match="FAILED") as failed:
        call_command(
            "homologation_rehearsal",
            "--prepared-keys",
            "5",
            "--counterpart-ispb",
            settings.DICT_ISPB,
            "--capacity",
            "--report",
            str(report),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert failed.value.returncode == EXIT_CODES[Verdict.FAIL] == 1
    steps = outcomes(out.getvalue())
    assert steps["5. Claims as claimer: create, confirm, complete, cancel"] == "FAIL"
    assert steps["1. Register one key of each type"] == "PASS"
    assert "FAILED: ClaimInvalid" in report.read_text()
    assert "- Verdict: **FAIL**" in report.read_text()
    assert "## Capacity test: not run" in report.read_text()  # it comes only after the functional steps pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_schedule")
def test_bcbs_moves_are_skipped_at_a_directory_without_the_simulator_service(start_server, tmp_path: Path) -> None:
    """A Connect server without SimulatorService (as a real DICT's gateway) answers UNIMPLEMENTED: the
    steps that need BCB's moves are SKIP, the PSP's own still PASS, and so does the capacity test
    (BCB seeds its keys); a skip proves nothing, so the verdict is INCOMPLETE (exit 2), not PASS."""
    _, port = start_server()  # ConnectService only, in-process on this database
    simulator = GrpcDirectorySimulator(url=f"127.0.0.1:{port}")
    try:
        with pytest.raises(SimulatorUnavailable):
            simulator.now()
    finally:
        simulator.close()
    out, report = io.StringIO(), tmp_path / "incomplete.md"
    with pytest.raises(CommandError, match="INCOMPLETE") as incomplete:
        call_command(
            "homologation_rehearsal",
            *("--connect-url", f"127.0.0.1:{port}", "--prepared-keys", "5", "--capacity", "--minutes", "0.05"),
            *("--report", str(report)),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert incomplete.value.returncode == EXIT_CODES[Verdict.INCOMPLETE] == 2
    stdout = out.getvalue()
    steps = outcomes(stdout)
    skipped = [name for name, outcome in steps.items() if outcome == "SKIP"]
    assert skipped == [
        "Preparation: five payments to BCB's receiving participant",
        "3. Sync verification after BCB's changes",
        "6. Infraction reports: create, acknowledge, close, cancel",
        "7. Refunds: OPERATIONAL_FLAW and FRAUD, and BCB's against us",
        "4. Incoming claims acknowledged within a minute",
    ]
    assert set(steps.values()) == {"PASS", "SKIP"}, stdout
    assert "BCB's part: not available at this directory" in stdout
    assert "the rehearsal PASSED" not in stdout
    text = report.read_text()
    assert "- Verdict: **INCOMPLETE**" in text
    assert f"- Skipped (the verdict cannot be PASS): {'; '.join([*skipped, 'Capacity test'])}" in text
    assert "## Capacity test: SKIP" in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_schedule")
def test_step_4_fails_when_no_scheduled_job_acknowledges_bcbs_claims(tmp_path: Path) -> None:
    """`--scheduled-jobs deployment` with no deployment running: nobody polls, so BCB's claims stay OPEN
    at DICT for the whole minute step 4 watches, and it FAILs (the rehearsal acknowledges nothing itself)."""
    out, report = io.StringIO(), tmp_path / "nobody.md"
    with pytest.raises(CommandError, match="FAILED"):
        call_command(
            "homologation_rehearsal",
            *("--scheduled-jobs", "deployment", "--prepared-keys", "5", "--report", str(report)),
            stdout=out,
            stderr=io.StringIO(),
        )
    steps = outcomes(out.getvalue())
    assert steps["4. Incoming claims acknowledged within a minute"] == "FAIL", out.getvalue()
    assert steps["1. Register one key of each type"] == "PASS"
    text = report.read_text()
    never = re.findall(r"FAILED: (PORTABILITY|OWNERSHIP) [0-9a-f-]{36}: opened .*, acknowledged after never", text)
    assert sorted(never) == ["OWNERSHIP", "PORTABILITY", "PORTABILITY"], text
    assert not Claim.objects.filter(role=Role.DONOR).exists()  # no poll ran: BCB's claims never reached us


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_schedule")
def test_the_rehearsal_over_grpc_against_run_dictsim(tmp_path: Path, settings) -> None:
    """run_dictsim as a process, on its own database: Connect for both participants, and its
    SimulatorService for BCB's part (seeding, the sync test's changes, the payments); then the
    capacity test, since the functional steps passed."""
    settings.CONNECT_DEADLINE_SEC = 5
    with scratch_database("rehearsaldir") as directory_db:
        directory = Directory(base_env(DATABASE_URL=directory_db))
        manage(directory.env, "migrate", "--noinput")
        directory.start()
        try:
            stdout, _ = rehearse(
                *("--connect-url", f"127.0.0.1:{directory.port}", "--prepared-keys", "20"),
                *("--capacity", "--minutes", "0.05"),  # then 50 lookups of keys BCB seeds, in 3 s
            )
        finally:
            directory.stop()
    assert outcomes(stdout) == dict.fromkeys(STEP_NAMES, "PASS"), stdout
    assert "BCB's part: played by the directory's simulator" in stdout
    assert "repair: deleted_at_dict=2, updated_at_dict=3" in stdout
    assert "successful answers | 50 of 50" in stdout
    assert "the rehearsal PASSED" in stdout
    assert not settings.CONNECT_URL  # the run's directory was for the run only
    assert Claim.objects.filter(status=ClaimStatus.COMPLETED).count() == 1

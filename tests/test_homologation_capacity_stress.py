"""The capacity test at a stress rate beyond BCB's tiers (``--rate``, issue 16's 16,000/min): the
command takes it, the PSP category's preflight still refuses what it cannot carry, the report says
it is not one of BCB's tiers, and the keys are seeded in moves the simulator accepts."""

import io

import pytest
from django.core.management import CommandError, call_command

from connect.client import get_client
from connect.local import LocalDirectorySimulator
from dictsim.models import DirEntry
from homologation import capacity
from homologation.capacity import CapacityResult, run_capacity
from tests.factories import OTHER_PSP
from tests.test_homologation_capacity import StallingDirectory

pytestmark = [pytest.mark.alone, pytest.mark.django_db(transaction=True)]


def rehearse(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("homologation_rehearsal", "--capacity-only", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), str(refused.value)


@pytest.mark.parametrize(("category", "needed"), [("E", "B"), ("C", "B")])
def test_a_stress_rate_is_refused_before_any_key_when_the_category_cannot_carry_it(
    settings, directory_calls, category, needed
):
    settings.LOOKUP_PSP_CATEGORY = category

    stdout, refused = rehearse("--rate", "16000", "--minutes", "10")

    assert "FAILED" in refused
    assert f"Not run: LOOKUP_PSP_CATEGORY={needed}: BCB assigns the category; 16,000/min over 10 min" in stdout
    assert directory_calls == [] and not DirEntry.objects.exists()


def test_the_tier_option_still_takes_only_bcbs_tiers():
    with pytest.raises(CommandError, match="invalid choice: 16000"):
        call_command("homologation_rehearsal", "--capacity-only", "--tier", "16000")
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("homologation_rehearsal", "--capacity-only", "--tier", "1000", "--rate", "16000")


def test_a_stress_run_is_labelled_as_not_one_of_bcbs_tiers():
    stress = CapacityResult(tier=16_000, minutes=10, planned=160_000)
    exam = CapacityResult(tier=4_000, minutes=10, planned=40_000)

    assert stress.stress and not exam.stress
    assert "Stress run at 16,000/min: a stress rate, not one of BCB's tiers (1,000, 2,000, 4,000/min)." in (
        stress.markdown()
    )
    assert "| rate | BCB's tier |" in exam.markdown() and "Stress run" not in exam.markdown()


class Recording(LocalDirectorySimulator):
    """The embedded simulator, with each seeding move's (start, count) kept."""

    def __init__(self, *, participant: str) -> None:
        super().__init__(participant=participant)
        self.moves: list[tuple[int, int]] = []

    def seed_entries(self, *, participant: str, count: int, start: int = 0) -> list[str]:
        self.moves.append((start, count))
        return super().seed_entries(participant=participant, count=count, start=start)


def run_capacity_at(tier: int, minutes: float, **kwargs) -> tuple[CapacityResult, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    result = run_capacity(tier=tier, minutes=minutes, counterpart=OTHER_PSP, stdout=stdout, stderr=stderr, **kwargs)
    return result, stdout.getvalue(), stderr.getvalue()


def test_the_keys_are_seeded_in_moves_the_simulator_accepts(settings, monkeypatch, directory_calls):
    """Before: one move of rate x minutes keys, which dictsim refuses beyond 100,000 (160,000 at 16,000/min)."""
    monkeypatch.setattr(capacity, "SEED_CHUNK", 40)
    simulator = Recording(participant=settings.DICT_ISPB)

    result, _, _ = run_capacity_at(1000, 0.1, simulator=simulator)

    first = simulator.moves[0][0]
    assert simulator.moves == [(first, 40), (first + 40, 40), (first + 80, 20)]
    assert result.passed and result.successes == 100
    assert len(directory_calls) == len(set(directory_calls)) == 100


@pytest.fixture
def long_stall(settings, start_server):
    """The directory stalls 8 s at its 20th lookup, past the end of a 6-s run's window."""
    _, port = start_server(StallingDirectory(at=20, stall=8.0))
    settings.CONNECT_URL = f"127.0.0.1:{port}"
    settings.CONNECT_DEADLINE_SEC = 20.0  # the stall delays the answers, it does not lose them
    get_client.cache_clear()
    yield
    get_client.cache_clear()


def test_lookups_still_waiting_after_the_window_and_late_are_abandoned_not_dragged_on(settings, long_stall):
    """Before: every planned lookup was made, however late, so a run the PSP carries at a fifth of its
    rate took five times its minutes (a 10-minute run at 16,000/min, most of an hour)."""
    result, stdout, _ = run_capacity_at(1000, 0.1, simulator=LocalDirectorySimulator(participant=settings.DICT_ISPB))

    assert result.abandoned > 0 and result.successes + result.abandoned == result.planned == 100
    assert not any(result.errors.values())
    assert all(s.started <= 6 or s.started - s.due <= 1 for s in result.samples)  # none made late after the window
    assert not result.passed
    assert f"{result.abandoned:,} abandoned (still waiting, late, after the window)" in stdout

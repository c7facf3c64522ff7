"""dict_rules.claims, pure: the §4.3 tables restated here from DICT_RULES, cell by cell, and the §4.4 deadlines.

The expectations are written from the document, not read from the module's tables, so a wrong
cell in either shows up as a failing case.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from dict_rules.claims import (
    Action,
    ClaimFacts,
    ClaimReason,
    ClaimStatus,
    ClaimType,
    Role,
    check_acknowledge,
    check_cancel,
    check_claimable,
    check_complete,
    check_confirm,
    due_action,
    parse_reason,
    periods,
    time_left,
)
from dict_rules.errors import (
    ClaimCompletionPeriodNotEnded,
    ClaimInvalid,
    ClaimOperationInvalid,
    ClaimResolutionPeriodNotEnded,
    ClaimTypeInconsistent,
    InvalidReason,
)

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OWN, PORT = ClaimType.OWNERSHIP, ClaimType.PORTABILITY
DONOR, CLAIMER = Role.DONOR, Role.CLAIMER
R = ClaimReason
S = ClaimStatus
OPEN_ONES = (S.OPEN, S.WAITING_RESOLUTION, S.CONFIRMED)
# Moments that matter: within the resolution period, in days 8-14, after day 14, after day 30.
DAYS = (1, 8, 15, 31)


def facts(claim_type: ClaimType, status: ClaimStatus, *, completion_end: datetime | None = None) -> ClaimFacts:
    resolution_end, default_completion = periods(claim_type, T0)
    return ClaimFacts(claim_type, status, T0, resolution_end, completion_end or default_completion)


def outcome(call) -> type | None:
    """None when allowed, else the exact error class."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the class is the assertion
        return type(error)
    return None


def expected_confirm(kind: ClaimType, role: Role, status: ClaimStatus, reason: ClaimReason, day: int) -> type | None:
    """DICT_RULES §4.3 confirm: the donor, from WAITING_RESOLUTION, with the reason table."""
    if role is not DONOR or status is not S.WAITING_RESOLUTION:
        return ClaimOperationInvalid
    allowed = {
        R.USER_REQUESTED: {OWN, PORT},
        R.ACCOUNT_CLOSURE: {PORT},
        R.DEFAULT_OPERATION: {OWN},
    }
    if kind not in allowed.get(reason, set()):
        return InvalidReason
    resolution_over = day > 7
    if reason is R.DEFAULT_OPERATION and not resolution_over:
        return ClaimResolutionPeriodNotEnded
    if kind is OWN and reason is R.USER_REQUESTED and resolution_over:
        return ClaimOperationInvalid  # MAN §22: no confirmation in days 8-14
    return None


def expected_cancel(kind: ClaimType, role: Role, status: ClaimStatus, reason: ClaimReason, day: int) -> type | None:
    """DICT_RULES §4.3 cancel: the portability table with its exceptions; ownership: donor FRAUD only,
    and on a confirmed claim only until the completion period ends (§4.4)."""
    if status not in OPEN_ONES:
        return ClaimOperationInvalid
    if kind is PORT:
        table = {
            R.USER_REQUESTED: {DONOR, CLAIMER},
            R.ACCOUNT_CLOSURE: {CLAIMER},
            R.DEFAULT_OPERATION: {DONOR},
            R.FRAUD: {DONOR, CLAIMER},
            R.RECONCILIATION: {CLAIMER},
            R.RFB_VALIDATION: {CLAIMER},
        }
        if role not in table[reason]:
            return InvalidReason
        if status is S.CONFIRMED and not (role is CLAIMER and reason in {R.FRAUD, R.RECONCILIATION, R.RFB_VALIDATION}):
            return ClaimOperationInvalid
        if reason is R.RECONCILIATION and status is S.WAITING_RESOLUTION:
            return InvalidReason
        if reason is R.DEFAULT_OPERATION and day <= 7:
            return ClaimResolutionPeriodNotEnded
        return None
    ownership = {DONOR: {R.FRAUD}, CLAIMER: {R.USER_REQUESTED, R.ACCOUNT_CLOSURE, R.FRAUD, R.DEFAULT_OPERATION}}
    if reason not in ownership[role]:
        return InvalidReason
    if reason is R.DEFAULT_OPERATION and day <= 30:
        return ClaimOperationInvalid
    if role is DONOR and status is S.CONFIRMED and day > 14:  # possession is proven in days 8-14 only
        return ClaimOperationInvalid
    return None


CELLS = list(itertools.product(ClaimType, Role, ClaimStatus, ClaimReason, DAYS))


@pytest.mark.parametrize(("kind", "role", "status", "reason", "day"), CELLS)
def test_confirm_table(kind, role, status, reason, day) -> None:
    now = T0 + day * DAY
    got = outcome(lambda: check_confirm(facts(kind, status), role=role, reason=reason, now=now))
    assert got is expected_confirm(kind, role, status, reason, day)


@pytest.mark.parametrize(("kind", "role", "status", "reason", "day"), CELLS)
def test_cancel_table(kind, role, status, reason, day) -> None:
    now = T0 + day * DAY
    got = outcome(lambda: check_cancel(facts(kind, status), role=role, reason=reason, now=now))
    assert got is expected_cancel(kind, role, status, reason, day)


@pytest.mark.parametrize(("kind", "role", "status"), list(itertools.product(ClaimType, Role, ClaimStatus)))
def test_acknowledge_by_the_donor_from_open_and_idempotent_while_waiting(kind, role, status) -> None:
    got = outcome(lambda: check_acknowledge(facts(kind, status), role=role))
    allowed = role is DONOR and status in (S.OPEN, S.WAITING_RESOLUTION)
    assert got is (None if allowed else ClaimOperationInvalid)
    if allowed:
        assert check_acknowledge(facts(kind, status), role=role) is (status is S.OPEN)


@pytest.mark.parametrize(("kind", "role", "status", "day"), list(itertools.product(ClaimType, Role, ClaimStatus, DAYS)))
def test_complete_by_the_claimer_from_confirmed_after_the_completion_period(kind, role, status, day) -> None:
    got = outcome(lambda: check_complete(facts(kind, status), role=role, now=T0 + day * DAY))
    if role is not CLAIMER or status is not S.CONFIRMED:
        assert got is ClaimOperationInvalid
    elif kind is OWN and day <= 14:
        assert got is ClaimCompletionPeriodNotEnded
    else:
        assert got is None


def test_user_requested_ownership_confirm_moves_the_completion_end_to_now_so_complete_works_at_once() -> None:
    now = T0 + 2 * DAY
    end = check_confirm(facts(OWN, S.WAITING_RESOLUTION), role=DONOR, reason=R.USER_REQUESTED, now=now)
    assert end == now
    check_complete(facts(OWN, S.CONFIRMED, completion_end=end), role=CLAIMER, now=now)


def test_other_confirms_keep_the_completion_end() -> None:
    ownership = check_confirm(
        facts(OWN, S.WAITING_RESOLUTION), role=DONOR, reason=R.DEFAULT_OPERATION, now=T0 + 8 * DAY
    )
    portability = check_confirm(facts(PORT, S.WAITING_RESOLUTION), role=DONOR, reason=R.USER_REQUESTED, now=T0)
    assert (ownership, portability) == (T0 + 14 * DAY, None)


def test_periods() -> None:
    assert periods("OWNERSHIP", T0) == (T0 + 7 * DAY, T0 + 14 * DAY)
    assert periods("PORTABILITY", T0) == (T0 + 7 * DAY, None)


@pytest.mark.parametrize(
    ("claim_type", "key_type", "same_owner", "error"),
    [
        ("PORTABILITY", "CPF", True, None),
        ("PORTABILITY", "CNPJ", True, None),
        ("PORTABILITY", "PHONE", True, None),
        ("PORTABILITY", "EMAIL", True, None),
        ("PORTABILITY", "EVP", True, ClaimInvalid),
        ("OWNERSHIP", "PHONE", False, None),
        ("OWNERSHIP", "EMAIL", False, ClaimInvalid),  # abolished by Res. BCB 457/2025
        ("OWNERSHIP", "EVP", False, ClaimInvalid),
        ("OWNERSHIP", "CPF", False, ClaimInvalid),
        ("OWNERSHIP", "CNPJ", False, ClaimInvalid),
        ("OWNERSHIP", "PHONE", True, ClaimTypeInconsistent),
        ("PORTABILITY", "PHONE", False, ClaimTypeInconsistent),
        ("TRANSFER", "PHONE", False, ClaimInvalid),
    ],
)
def test_claimable(claim_type, key_type, same_owner, error) -> None:
    got = outcome(lambda: check_claimable(claim_type=claim_type, key_type=key_type, same_owner=same_owner))
    assert got is error


def test_parse_reason() -> None:
    assert parse_reason("FRAUD") is R.FRAUD
    assert parse_reason("", default=R.USER_REQUESTED) is R.USER_REQUESTED
    for raw in ("", None, "CLAIMER_REQUEST"):
        assert outcome(lambda raw=raw: parse_reason(raw)) is InvalidReason


@pytest.mark.parametrize(
    ("kind", "status", "role", "day", "action"),
    [
        (PORT, S.OPEN, DONOR, 1, (Action.ACKNOWLEDGE, None)),
        (OWN, S.OPEN, DONOR, 9, (Action.ACKNOWLEDGE, None)),
        (PORT, S.WAITING_RESOLUTION, DONOR, 6, None),
        (PORT, S.WAITING_RESOLUTION, DONOR, 7, (Action.CANCEL, R.DEFAULT_OPERATION)),
        (OWN, S.WAITING_RESOLUTION, DONOR, 6, None),
        (OWN, S.WAITING_RESOLUTION, DONOR, 7, (Action.CONFIRM, R.DEFAULT_OPERATION)),
        (OWN, S.CONFIRMED, DONOR, 20, None),
        (PORT, S.CONFIRMED, CLAIMER, 1, (Action.COMPLETE, None)),
        (OWN, S.CONFIRMED, CLAIMER, 13, None),
        (OWN, S.CONFIRMED, CLAIMER, 14, (Action.COMPLETE, None)),
        (OWN, S.CONFIRMED, CLAIMER, 29, (Action.COMPLETE, None)),
        (OWN, S.CONFIRMED, CLAIMER, 30, (Action.CANCEL, R.DEFAULT_OPERATION)),
        (OWN, S.WAITING_RESOLUTION, CLAIMER, 30, (Action.CANCEL, R.DEFAULT_OPERATION)),
        (PORT, S.WAITING_RESOLUTION, CLAIMER, 40, None),
        (OWN, S.COMPLETED, CLAIMER, 40, None),
        (PORT, S.CANCELLED, DONOR, 8, None),
    ],
)
def test_due_action_at_each_deadline(kind, status, role, day, action) -> None:
    assert due_action(facts(kind, status), role=role, now=T0 + day * DAY) == action


def test_time_left_runs_to_the_next_deadline_and_never_below_zero() -> None:
    assert time_left(facts(PORT, S.OPEN), now=T0 + 2 * DAY) == 5 * DAY
    assert time_left(facts(OWN, S.WAITING_RESOLUTION), now=T0 + 9 * DAY) == timedelta(0)
    assert time_left(facts(OWN, S.CONFIRMED), now=T0 + 10 * DAY) == 4 * DAY
    assert time_left(facts(PORT, S.CONFIRMED), now=T0 + 1 * DAY) == 6 * DAY
    assert time_left(facts(OWN, S.COMPLETED), now=T0) is None
    assert time_left(facts(PORT, S.CANCELLED), now=T0) is None


def test_plain_strings_from_the_database_follow_the_same_rules() -> None:
    """Model fields hold plain strings; the rules must not depend on enum identity."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    claim = ClaimFacts(
        "OWNERSHIP", "WAITING_RESOLUTION", created, created + timedelta(days=7), created + timedelta(days=14)
    )
    assert check_acknowledge(claim, role="DONOR") is False
    with pytest.raises(InvalidReason):
        check_cancel(claim, role="DONOR", reason="USER_REQUESTED", now=created)
    assert due_action(claim, role="DONOR", now=created + timedelta(days=8)) == ("CONFIRM", "DEFAULT_OPERATION")

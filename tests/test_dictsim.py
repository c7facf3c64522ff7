"""The simulated directory's services (dictsim), called directly: BCB's rules as DICT applies them.

DICT_RULES §1-3 (types, duplicates, limits), §5 (update, delete), §6 (lookup), §7 (CID, VSync).
A refused operation also asserts that the directory did not change at all.
"""

import uuid
from datetime import UTC, datetime
from functools import reduce

import pytest
from django.core.management import call_command

from dict_rules.cid import compute_cid, vsync
from dict_rules.directory import BankAccount, Owner
from dict_rules.errors import (
    BadRequest,
    EntryAlreadyExists,
    EntryCannotBeQueriedForBookTransfer,
    EntryInvalid,
    EntryKeyInCustodyOfDifferentParticipant,
    EntryKeyOwnedByDifferentPerson,
    EntryLimitExceeded,
    EntryTaxIdNumberByDifferentOwner,
    InvalidReason,
    NotFound,
    ParticipantInvalid,
    RequestIdAlreadyUsed,
)
from dict_rules.keys import EVP_RE
from dictsim import services
from dictsim.models import DirCidEvent, DirEntry, DirRequest
from dictsim.seeding import DEFAULT_PARTICIPANTS, seed_entries, seed_key
from tests.factories import OTHER, OURS, ZERO, account, new_cpf, person, snapshot
from tests.factories import dir_create as create

pytestmark = pytest.mark.django_db


def xor_of_rows(participant: str, key_type: str) -> str:
    return vsync(
        list(DirEntry.objects.filter(participant=participant, key_type=key_type).values_list("cid", flat=True))
    )


def test_each_key_type_is_registered_and_the_directory_generates_evp_keys() -> None:
    maria, acme = person(), person(legal=True)
    natural, legal = account(), account()
    created = [
        create(OURS, "CPF", maria.tax_id, maria, natural),
        create(OURS, "PHONE", "+5511987650001", maria, natural),
        create(OURS, "EMAIL", "maria@example.com", maria, natural),
        create(OURS, "EVP", None, maria, natural),
        create(OURS, "CNPJ", acme.tax_id, acme, legal),
    ]
    assert [e.key_type for e in created] == ["CPF", "PHONE", "EMAIL", "EVP", "CNPJ"]
    assert [e.key for e in created[:3]] == [maria.tax_id, "+5511987650001", "maria@example.com"]
    evp = created[3].key
    assert EVP_RE.match(evp) and str(uuid.UUID(evp)) == evp
    assert created[4].owner == acme and created[4].account == legal
    assert created[0].owner == maria and created[0].account == natural
    assert all(e.created_at.tzinfo is not None and e.key_ownership_date == e.created_at for e in created)
    rows = {r.key: r for r in DirEntry.objects.all()}
    assert set(rows) == {e.key for e in created}
    assert {r.participant for r in rows.values()} == {OURS}
    assert (rows[evp].key_type, rows[evp].owner_tax_id, rows[evp].account_number) == (
        "EVP",
        maria.tax_id,
        natural.number,
    )
    assert DirRequest.objects.count() == 5


@pytest.mark.parametrize(
    ("key_type", "key", "error", "field"),
    [
        ("EVP", "6f181b8e-6d97-4e30-9055-4bb74b67aa73", EntryInvalid, "key_value"),  # the directory generates EVP keys
        ("EMAIL", "Maria@Example.com", EntryInvalid, "key"),  # sent exactly in DICT's format
        ("PHONE", "11987650001", EntryInvalid, "key_value"),
        ("IBAN", "x", EntryInvalid, "key_type"),
    ],
)
def test_malformed_keys_are_refused(key_type: str, key: str, error: type, field: str) -> None:
    before = snapshot()
    with pytest.raises(error) as refused:
        create(OURS, key_type, key, person(), account())
    assert [f.field for f in refused.value.fields] == [field]
    assert snapshot() == before


def test_a_cpf_key_must_be_the_owners_own_cpf() -> None:
    before = snapshot()
    with pytest.raises(EntryTaxIdNumberByDifferentOwner):
        create(OURS, "CPF", new_cpf(), person(), account())
    assert snapshot() == before


def test_a_duplicate_key_gets_one_of_dicts_three_answers() -> None:
    maria = person()
    create(OURS, "PHONE", "+5511987650002", maria, account())
    before = snapshot()
    with pytest.raises(EntryAlreadyExists):  # same owner, same participant, even on another account
        create(OURS, "PHONE", "+5511987650002", maria, account(kind="SVGS"))
    with pytest.raises(EntryKeyInCustodyOfDifferentParticipant):  # same owner at another PSP: portability
        create(OTHER, "PHONE", "+5511987650002", maria, account(OTHER))
    with pytest.raises(EntryKeyOwnedByDifferentPerson):  # another person here: ownership claim
        create(OURS, "PHONE", "+5511987650002", person(name="Joao Souza"), account())
    with pytest.raises(EntryKeyOwnedByDifferentPerson):  # another person elsewhere
        create(OTHER, "PHONE", "+5511987650002", person(legal=True), account(OTHER))
    assert snapshot() == before
    assert DirEntry.objects.get(key="+5511987650002").owner_tax_id == maria.tax_id


def test_a_natural_persons_account_holds_five_keys() -> None:
    maria, acct = person(), account()
    for i in range(5):
        create(OURS, "EMAIL", f"k{i}@example.com", maria, acct)
    before = snapshot()
    with pytest.raises(EntryLimitExceeded):
        create(OURS, "EVP", None, maria, acct)
    assert snapshot() == before
    assert DirEntry.objects.filter(account_number=acct.number).count() == 5


def test_a_legal_persons_account_holds_twenty_keys() -> None:
    acme, acct = person(legal=True), account()
    for _ in range(20):
        create(OURS, "EVP", None, acme, acct)
    before = snapshot()
    with pytest.raises(EntryLimitExceeded):
        create(OURS, "EVP", None, acme, acct)
    assert snapshot() == before
    assert DirEntry.objects.filter(account_number=acct.number).count() == 20


def test_the_limit_counts_per_participant_branch_number_and_account_type() -> None:
    maria = person()
    full = account(number="777", branch="1", kind="CACC")
    for _ in range(5):
        create(OURS, "EVP", None, maria, full)
    # Each of these differs from the full account in one part of the tuple, so it is another account.
    create(OURS, "EVP", None, maria, account(number="777", branch="1", kind="SVGS"))
    create(OURS, "EVP", None, maria, account(number="777", branch="2", kind="CACC"))
    create(OURS, "EVP", None, maria, account(number="778", branch="1", kind="CACC"))
    create(OTHER, "EVP", None, maria, account(OTHER, number="777", branch="1", kind="CACC"))
    with pytest.raises(EntryLimitExceeded):
        create(OURS, "EVP", None, maria, full)
    assert DirEntry.objects.filter(account_number="777").count() == 8


def test_a_deleted_key_frees_a_slot_on_its_account() -> None:
    maria, acct = person(), account()
    keys = [create(OURS, "EVP", None, maria, acct).key for _ in range(5)]
    services.entry_delete(participant=OURS, key=keys[0], reason="USER_REQUESTED")
    assert create(OURS, "EVP", None, maria, acct).key not in keys


def test_a_participant_registers_keys_only_for_its_own_accounts() -> None:
    before = snapshot()
    with pytest.raises(ParticipantInvalid):
        create(OURS, "EVP", None, person(), account(OTHER))
    assert snapshot() == before


def test_the_same_request_id_with_the_same_data_returns_the_first_entry() -> None:
    maria, acct = person(), account()
    rid = uuid.uuid4()
    first = create(OURS, "EMAIL", "same@example.com", maria, acct, request_id=rid)
    before = snapshot()
    again = create(OURS, "EMAIL", "same@example.com", maria, acct, request_id=rid)
    assert again == first
    assert snapshot() == before  # no second row, request, CID event or VSync change
    evp_rid = uuid.uuid4()
    evp = create(OURS, "EVP", None, maria, acct, request_id=evp_rid)
    assert create(OURS, "EVP", None, maria, acct, request_id=evp_rid).key == evp.key
    assert DirEntry.objects.filter(account_number=acct.number).count() == 2


def test_the_same_request_id_with_other_data_is_refused() -> None:
    maria, acct = person(), account()
    rid = uuid.uuid4()
    create(OURS, "EMAIL", "one@example.com", maria, acct, request_id=rid)
    before = snapshot()
    with pytest.raises(RequestIdAlreadyUsed):
        create(OURS, "EMAIL", "two@example.com", maria, acct, request_id=rid)
    with pytest.raises(RequestIdAlreadyUsed):
        create(OURS, "EMAIL", "one@example.com", maria, account(), request_id=rid)
    assert snapshot() == before
    # A RequestId is unique per participant: another participant may use the same one.
    create(OTHER, "EMAIL", "two@example.com", maria, account(OTHER), request_id=rid)
    assert DirRequest.objects.filter(request_id=rid).count() == 2


def test_reasons_outside_dicts_lists_are_refused() -> None:
    maria, acct = person(), account()
    key = create(OURS, "EMAIL", "reason@example.com", maria, acct).key
    before = snapshot()
    with pytest.raises(InvalidReason):
        create(OURS, "EMAIL", "other@example.com", maria, acct, reason="FRAUD")
    with pytest.raises(InvalidReason):
        services.entry_update(participant=OURS, key=key, account=acct, owner=maria, reason="ACCOUNT_CLOSURE")
    with pytest.raises(InvalidReason):
        services.entry_delete(participant=OURS, key=key, reason="ENTRY_INACTIVITY")
    with pytest.raises(InvalidReason):
        services.entry_delete(participant=OURS, key=key, reason="")
    assert snapshot() == before
    assert create(OURS, "EMAIL", "rec@example.com", maria, acct, reason="RECONCILIATION").key == "rec@example.com"


def test_the_cid_is_computed_from_the_stored_attributes_and_the_request_id() -> None:
    acme, rid = person(legal=True), uuid.uuid4()
    entry = create(OURS, "CNPJ", acme.tax_id, acme, account(branch="42"), request_id=rid)
    row = DirEntry.objects.get(key=entry.key)
    assert row.request_id == rid
    assert row.cid == row.content_id()
    assert row.cid == compute_cid(
        request_id=rid,
        key_type="CNPJ",
        key=acme.tax_id,
        owner=Owner(person_type="LEGAL_PERSON", tax_id=acme.tax_id, name="ACME COMERCIO LTDA", trade_name="ACME"),
        account=BankAccount(
            participant=OURS,
            branch="42",
            number=entry.account.number,
            account_type="CACC",
            opening_date=entry.account.opening_date,
        ),
    )


def test_vsync_is_the_xor_of_the_participants_cids_per_type_through_creates_updates_and_deletes() -> None:
    maria, acct = person(), account()
    emails = [create(OURS, "EMAIL", f"v{i}@example.com", maria, acct).key for i in range(3)]
    phone = create(OURS, "PHONE", "+5511987650003", maria, acct).key
    create(OTHER, "EMAIL", "elsewhere@example.com", person(), account(OTHER))
    assert services.vsync_get(participant=OURS, key_type="EMAIL") == xor_of_rows(OURS, "EMAIL") != ZERO
    assert services.vsync_get(participant=OURS, key_type="PHONE") == DirEntry.objects.get(key=phone).cid
    assert services.vsync_get(participant=OTHER, key_type="EMAIL") == xor_of_rows(OTHER, "EMAIL")
    assert services.vsync_get(participant=OURS, key_type="CPF") == ZERO

    old_cid = DirEntry.objects.get(key=emails[0]).cid
    services.entry_update(
        participant=OURS,
        key=emails[0],
        account=account(),
        owner=person(tax_id=maria.tax_id, name="Maria Souza"),
        reason="USER_REQUESTED",
    )
    new_cid = DirEntry.objects.get(key=emails[0]).cid
    assert new_cid != old_cid
    assert services.vsync_get(participant=OURS, key_type="EMAIL") == xor_of_rows(OURS, "EMAIL")
    last_two = DirCidEvent.objects.filter(participant=OURS, key_type="EMAIL").order_by("-occurred_at")[:2]
    assert [(e.event, e.cid) for e in reversed(last_two)] == [("REMOVED", old_cid), ("ADDED", new_cid)]

    services.entry_delete(participant=OURS, key=emails[1], reason="USER_REQUESTED")
    assert services.vsync_get(participant=OURS, key_type="EMAIL") == xor_of_rows(OURS, "EMAIL")
    for key in (emails[0], emails[2]):
        services.entry_delete(participant=OURS, key=key, reason="ACCOUNT_CLOSURE")
    services.entry_delete(participant=OURS, key=phone, reason="FRAUD")
    assert services.vsync_get(participant=OURS, key_type="EMAIL") == ZERO
    assert services.vsync_get(participant=OURS, key_type="PHONE") == ZERO
    events = DirCidEvent.objects.filter(participant=OURS)
    assert sorted(events.values_list("event", flat=True)) == ["ADDED"] * 5 + ["REMOVED"] * 5


def test_an_update_that_changes_no_cid_attribute_keeps_the_cid_and_vsync() -> None:
    maria, acct = person(), account()
    key = create(OURS, "EMAIL", "same-cid@example.com", maria, acct).key
    before_cid, events = DirEntry.objects.get(key=key).cid, DirCidEvent.objects.count()
    later = BankAccount(acct.participant, acct.branch, acct.number, acct.account_type, datetime(2025, 5, 6, tzinfo=UTC))
    updated = services.entry_update(participant=OURS, key=key, account=later, owner=maria, reason="RECONCILIATION")
    assert updated.account.opening_date == later.opening_date
    assert DirEntry.objects.get(key=key).cid == before_cid
    assert DirCidEvent.objects.count() == events


def test_sync_verify_says_ok_only_for_the_directorys_vsync() -> None:
    maria = person()
    cid = DirEntry.objects.get(key=create(OURS, "EVP", None, maria, account()).key).cid
    assert services.sync_verify(participant=OURS, key_type="EVP", verifier=cid) == (True, cid)
    assert services.sync_verify(participant=OURS, key_type="EVP", verifier=cid.upper()) == (True, cid)
    assert services.sync_verify(participant=OURS, key_type="EVP", verifier=ZERO) == (False, cid)
    assert services.sync_verify(participant=OURS, key_type="CPF", verifier=ZERO) == (True, ZERO)
    assert services.sync_verify(participant=OTHER, key_type="EVP", verifier=cid) == (False, ZERO)
    with pytest.raises(BadRequest):
        services.sync_verify(participant=OURS, key_type="IBAN", verifier=ZERO)


def test_lookups_need_payer_and_end_to_end_id_and_never_answer_for_the_callers_own_keys() -> None:
    maria = person()
    key = create(OTHER, "EMAIL", "theirs@example.com", maria, account(OTHER)).key
    ours = create(OURS, "EMAIL", "ours@example.com", person(), account()).key
    e2e = "E1234567820250101000000000000001"
    found = services.entry_get(participant=OURS, key=key, payer_id="12345678901", end_to_end_id=e2e)
    assert (found.key, found.owner, found.account.participant) == (key, maria, OTHER)
    assert services.entry_get(participant=OURS, key=key, payer_id="12345678000199", end_to_end_id=e2e).key == key
    with pytest.raises(EntryCannotBeQueriedForBookTransfer):
        services.entry_get(participant=OURS, key=ours, payer_id="12345678901", end_to_end_id=e2e)
    with pytest.raises(NotFound):
        services.entry_get(participant=OURS, key="nobody@example.com", payer_id="12345678901", end_to_end_id=e2e)
    for payer_id in ("", "1234567890", "123456789012", "123.456.789-01", "12345678901\n"):
        with pytest.raises(BadRequest) as refused:
            services.entry_get(participant=OURS, key=key, payer_id=payer_id, end_to_end_id=e2e)
        assert [f.field for f in refused.value.fields] == ["payer_id"]
    with pytest.raises(BadRequest) as refused:
        services.entry_get(participant=OURS, key=key, payer_id="12345678901", end_to_end_id="")
    assert [f.field for f in refused.value.fields] == ["end_to_end_id"]


def test_an_update_changes_account_and_names_but_keeps_creation_and_ownership_dates() -> None:
    acme, acct = person(legal=True), account()
    created = create(OURS, "EMAIL", "upd@example.com", acme, acct)
    target = account(branch="9", kind="TRAN")
    renamed = Owner("LEGAL_PERSON", acme.tax_id, "ACME COMERCIO E SERVICOS LTDA", "")
    updated = services.entry_update(
        participant=OURS, key=created.key, account=target, owner=renamed, reason="BRANCH_TRANSFER"
    )
    assert (updated.account, updated.owner) == (target, renamed)
    assert (updated.created_at, updated.key_ownership_date) == (created.created_at, created.key_ownership_date)
    row = DirEntry.objects.get(key=created.key)
    assert (row.branch, row.account_type, row.owner_name, row.owner_trade_name) == ("9", "TRAN", renamed.name, "")
    assert row.cid == row.content_id()


def test_an_evp_key_is_updated_only_for_rfb_validation() -> None:
    maria, acct = person(), account()
    key = create(OURS, "EVP", None, maria, acct).key
    renamed = person(tax_id=maria.tax_id, name="Maria da Silva Souza")
    before = snapshot()
    for reason in ("USER_REQUESTED", "BRANCH_TRANSFER", "RECONCILIATION"):
        with pytest.raises(InvalidReason):
            services.entry_update(participant=OURS, key=key, account=acct, owner=renamed, reason=reason)
    assert snapshot() == before
    services.entry_update(participant=OURS, key=key, account=acct, owner=renamed, reason="RFB_VALIDATION")
    assert DirEntry.objects.get(key=key).owner_name == "Maria da Silva Souza"


def test_an_update_cannot_change_the_owner_or_the_participant() -> None:
    maria, acct = person(), account()
    key = create(OURS, "EMAIL", "owner@example.com", maria, acct).key
    before = snapshot()
    with pytest.raises(EntryInvalid):  # another tax id: that is an ownership claim
        services.entry_update(participant=OURS, key=key, account=acct, owner=person(), reason="USER_REQUESTED")
    with pytest.raises(ParticipantInvalid):  # another participant's account: that is a portability
        services.entry_update(participant=OURS, key=key, account=account(OTHER), owner=maria, reason="USER_REQUESTED")
    with pytest.raises(ParticipantInvalid):  # another participant may not touch it
        services.entry_update(participant=OTHER, key=key, account=account(OTHER), owner=maria, reason="USER_REQUESTED")
    with pytest.raises(NotFound):
        services.entry_update(
            participant=OURS, key="nobody@example.com", account=acct, owner=maria, reason="USER_REQUESTED"
        )
    assert snapshot() == before


def test_an_update_cannot_move_a_key_onto_a_full_account() -> None:
    maria, full, spare = person(), account(), account()
    for i in range(5):
        create(OURS, "EMAIL", f"full{i}@example.com", maria, full)
    key = create(OURS, "EMAIL", "mover@example.com", maria, spare).key
    before = snapshot()
    with pytest.raises(EntryLimitExceeded):
        services.entry_update(participant=OURS, key=key, account=full, owner=maria, reason="USER_REQUESTED")
    assert snapshot() == before
    # An update that keeps the key on its (full) account is not blocked by the limit.
    services.entry_update(
        participant=OURS,
        key="full0@example.com",
        account=full,
        owner=person(tax_id=maria.tax_id, name="Maria Lima"),
        reason="USER_REQUESTED",
    )
    assert DirEntry.objects.filter(account_number=full.number).count() == 5


def test_only_the_holding_participant_deletes_a_key_and_then_it_is_free() -> None:
    maria = person()
    key = create(OURS, "PHONE", "+5511987650004", maria, account()).key
    before = snapshot()
    with pytest.raises(ParticipantInvalid):
        services.entry_delete(participant=OTHER, key=key, reason="USER_REQUESTED")
    with pytest.raises(NotFound):
        services.entry_delete(participant=OURS, key="+5511987650005", reason="USER_REQUESTED")
    assert snapshot() == before
    services.entry_delete(participant=OURS, key=key, reason="USER_REQUESTED")
    assert not DirEntry.objects.filter(key=key).exists()
    assert create(OTHER, "PHONE", key, person(), account(OTHER)).account.participant == OTHER


def test_seeding_is_idempotent_and_keeps_every_vsync_equal_to_the_xor_of_its_rows() -> None:
    create(DEFAULT_PARTICIPANTS[0], "EMAIL", "mine@example.com", person(), account(DEFAULT_PARTICIPANTS[0]))
    assert seed_entries(count=300, batch_size=120) == 300
    assert seed_entries(count=300, batch_size=120) == 0
    assert seed_entries(count=360, batch_size=120) == 60
    assert DirEntry.objects.count() == 361
    assert set(DirEntry.objects.values_list("participant", flat=True)) == set(DEFAULT_PARTICIPANTS)
    assert DirEntry.objects.filter(key__in=[seed_key(i)[1] for i in range(360)]).count() == 360
    for row in DirEntry.objects.all():
        assert row.cid == row.content_id()
    for participant in DEFAULT_PARTICIPANTS:
        for key_type in ("CPF", "CNPJ", "PHONE", "EMAIL", "EVP"):
            assert services.vsync_get(participant=participant, key_type=key_type) == xor_of_rows(participant, key_type)
    assert all(EVP_RE.match(k) for k in DirEntry.objects.filter(key_type="EVP").values_list("key", flat=True))


def test_the_seed_command_reports_what_it_created() -> None:
    from io import StringIO

    out = StringIO()
    call_command("dictsim_seed", "--count", "12", "--no-progress", "--participants", "11111111,22222222", stdout=out)
    call_command("dictsim_seed", "--count", "15", "--no-progress", "--participants", "11111111,22222222", stdout=out)
    # Each line ends with its timing, "(0.0 s, 2,444 entries/s)": only the counts are the command's to promise.
    assert [line.split(" (")[0] for line in out.getvalue().splitlines()] == [
        "12 entries created, 0 already present",
        "3 entries created, 12 already present",
    ]
    assert set(DirEntry.objects.values_list("participant", flat=True)) == {"11111111", "22222222"}


def test_cid_list_pages_through_the_participants_cids_in_order() -> None:
    acme, acct = person(legal=True), account()
    for _ in range(7):
        create(OURS, "EVP", None, acme, acct)
    create(OTHER, "EVP", None, acme, account(OTHER))
    expected = sorted(DirEntry.objects.filter(participant=OURS).values_list("cid", flat=True))
    pages, after = [], ""
    while page := services.cid_list(participant=OURS, key_type="EVP", after=after, limit=3):
        pages.append(page)
        after = page[-1]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == expected
    assert list(services.cid_iter(participant=OURS, key_type="EVP")) == expected
    assert services.cid_list(participant=OURS, key_type="EMAIL") == []
    assert reduce(lambda a, c: f"{int(a, 16) ^ int(c, 16):064x}", expected, ZERO) == services.vsync_get(
        participant=OURS, key_type="EVP"
    )
    with pytest.raises(BadRequest):
        services.cid_list(participant=OURS, key_type="EVP", limit=-1)

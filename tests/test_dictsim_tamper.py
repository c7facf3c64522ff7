"""The simulated directory's CIDs and VSyncs follow its data whatever changes it (a service, an
operator's edit by hand, `manage.py dictsim_tamper`), and the tamper command makes the divergences
the sync repair is tested with."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dict_rules.cid import vsync
from dictsim import services
from dictsim.models import DirCidEvent, DirEntry
from tests.factories import OTHER, OURS, ZERO, account, new_cpf, person
from tests.factories import dir_create as create

pytestmark = pytest.mark.django_db


def tamper(*args: str) -> str:
    out = StringIO()
    call_command("dictsim_tamper", *args, stdout=out)
    return out.getvalue().strip()


def rows_vsync(participant: str, key_type: str) -> str:
    return vsync(
        list(DirEntry.objects.filter(participant=participant, key_type=key_type).values_list("cid", flat=True))
    )


def test_an_edit_by_hand_recomputes_the_cid_and_the_vsync_follows() -> None:
    maria = person()
    create(OURS, "CPF", maria.tax_id, maria, account())
    row = DirEntry.objects.get(key=maria.tax_id)
    before = services.vsync_get(participant=OURS, key_type="CPF")
    assert before == row.cid

    row.owner_name = "Maria Souza"
    row.save(update_fields=["owner_name"])  # even a save naming only the data field

    row.refresh_from_db()
    assert row.cid == row.content_id() != before
    assert services.vsync_get(participant=OURS, key_type="CPF") == row.cid == rows_vsync(OURS, "CPF")
    assert services.sync_verify(participant=OURS, key_type="CPF", verifier=before) == (False, row.cid)


def test_the_tamper_command_changes_drops_and_inserts_with_cids_and_history_kept() -> None:
    maria, joao = person(), person()
    acct = account()
    create(OURS, "CPF", maria.tax_id, maria, acct)
    old_cid = DirEntry.objects.get(key=maria.tax_id).cid

    said = tamper("change", maria.tax_id, "--account-number", "123", "--name", "Maria Souza")
    row = DirEntry.objects.get(key=maria.tax_id)
    assert (row.account_number, row.owner_name, row.cid) == ("123", "Maria Souza", row.content_id())
    assert said == f"change: CPF at {OURS}, CID {old_cid} -> {row.cid}"
    assert maria.tax_id not in said and "Maria" not in said  # no PII in the output
    events = DirCidEvent.objects.filter(participant=OURS).order_by("occurred_at")
    assert [(e.event, e.cid) for e in events] == [("ADDED", old_cid), ("REMOVED", old_cid), ("ADDED", row.cid)]

    said = tamper(
        "insert",
        *("--participant", OTHER, "--key-type", "CPF", "--key", joao.tax_id, "--tax-id", joao.tax_id),
        *("--name", "Joao Souza", "--branch", "7", "--account-number", "777"),
    )
    inserted = DirEntry.objects.get(key=joao.tax_id)
    assert said == f"insert: CPF at {OTHER}, CID - -> {inserted.cid}"
    assert services.vsync_get(participant=OTHER, key_type="CPF") == inserted.cid

    assert tamper("drop", maria.tax_id) == f"drop: CPF at {OURS}, CID {row.cid} -> -"
    assert services.vsync_get(participant=OURS, key_type="CPF") == ZERO
    assert DirCidEvent.objects.filter(participant=OURS).order_by("-occurred_at").first().event == "REMOVED"


def test_the_tamper_command_refuses_bad_data_with_the_directorys_error() -> None:
    maria = person()
    create(OURS, "CPF", maria.tax_id, maria, account())
    with pytest.raises(CommandError, match=r"^NotFound: "):
        tamper("drop", new_cpf())
    with pytest.raises(CommandError, match=r"^AccountInvalid: "):
        tamper("change", maria.tax_id, "--account-number", "12a")
    with pytest.raises(CommandError, match=r"^EntryAlreadyExists: "):
        tamper(
            "insert",
            *("--participant", OTHER, "--key-type", "CPF", "--key", maria.tax_id, "--tax-id", maria.tax_id),
            *("--name", "Maria Souza", "--branch", "7", "--account-number", "777"),
        )
    assert DirEntry.objects.get(key=maria.tax_id).account_number != "12a"

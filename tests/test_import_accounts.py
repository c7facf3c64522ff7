"""manage.py import_accounts: a core-banking CSV export in, holders and accounts upserted, rejects by line."""

import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Holder
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "tax_id,name,trade_name,branch,number,account_type,opening_date,username"
MARIA = cpf_from_base("111444777")
JOSE = cpf_from_base("935411347")
ACME = cnpj_from_base("112223330001")
BAD_CHECK_DIGIT = MARIA[:-1] + str((int(MARIA[-1]) + 1) % 10)
ROWS = [
    f"{MARIA},Maria da Silva,,0001,4000011,CACC,2024-01-02,maria",  # line 2
    f"{ACME},ACME COMERCIO LTDA,ACME,0002,4000029,CACC,2023-06-30T14:00:00-03:00,",  # line 3
    f"{BAD_CHECK_DIGIT},Pedro Almeida,,0001,4000037,CACC,2024-01-02,",  # line 4
    f"{JOSE},José Souza,,0001,4000045,XXXX,2024-01-02,jose",  # line 5
    f"{JOSE},José Souza,,0001,,CACC,2024-01-02,jose",  # line 6
    f"{JOSE},José Souza,JS,0001,4000053,CACC,2024-01-02,jose",  # line 7
    f"{MARIA},Maria da Silva,,0001,4000061,svgs,2024-01-02T09:30:00,maria",  # line 8
]
REJECTED = [
    "  line 4: tax_id: tax_id must be a CPF (11 digits) or CNPJ (14 digits) with valid check digits.",
    "  line 5: account_type: account_type must be one of CACC, SVGS, SLRY, TRAN.",
    "  line 6: number: required",
    "  line 7: trade_name: only a legal person has a trade name.",
]
FIRST_RUN = ["7 rows: 3 created, 0 updated, 0 unchanged, 4 rejected", "rejected rows:", *REJECTED]


def write_csv(tmp_path: Path, rows: list[str], *, header: str = HEADER, name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[str, str]:
    """stdout and stderr of one run."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_accounts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_rows_are_imported_and_bad_ones_reported_by_line(tmp_path) -> None:
    out, err = run(write_csv(tmp_path, ROWS))

    assert out.splitlines() == FIRST_RUN
    assert err == "imported 7/7 rows: 3 created, 0 updated, 0 unchanged, 4 rejected\n"
    for pii in (MARIA, JOSE, ACME, BAD_CHECK_DIGIT, "Maria", "José", "Pedro", "ACME"):
        assert pii not in out + err
    holders = Holder.objects.values_list("tax_id", "person_type", "name", "trade_name", "user__username")
    assert list(holders) == [
        (MARIA, "NATURAL_PERSON", "Maria da Silva", "", "maria"),
        (ACME, "LEGAL_PERSON", "ACME COMERCIO LTDA", "ACME", None),
    ]
    accounts = Account.objects.values_list("holder__tax_id", "ispb", "branch", "number", "account_type", "opening_date")
    assert list(accounts) == [
        (MARIA, settings.DICT_ISPB, "0001", "4000011", "CACC", datetime(2024, 1, 2, 3, tzinfo=UTC)),
        (ACME, settings.DICT_ISPB, "0002", "4000029", "CACC", datetime(2023, 6, 30, 17, tzinfo=UTC)),
        (MARIA, settings.DICT_ISPB, "0001", "4000061", "SVGS", datetime(2024, 1, 2, 12, 30, tzinfo=UTC)),
    ]
    # A rejected row leaves nothing behind, not even the user its username would have created.
    assert list(User.objects.values_list("username", flat=True)) == ["maria"]
    assert not User.objects.get(username="maria").has_usable_password()


def test_the_same_file_twice_changes_nothing_the_second_time(tmp_path) -> None:
    path = write_csv(tmp_path, ROWS)
    run(path)
    before = list(Account.objects.values_list("id", "holder_id", "updated_at"))

    out, err = run(path)

    assert out.splitlines() == ["7 rows: 0 created, 0 updated, 3 unchanged, 4 rejected", "rejected rows:", *REJECTED]
    assert err == "imported 7/7 rows: 0 created, 0 updated, 3 unchanged, 4 rejected\n"
    assert list(Account.objects.values_list("id", "holder_id", "updated_at")) == before
    assert Holder.objects.count() == 2


def test_a_changed_name_updates_the_holder(tmp_path) -> None:
    run(write_csv(tmp_path, ROWS[:1]))

    out, _ = run(write_csv(tmp_path, [ROWS[0].replace("Maria da Silva", "Maria da Silva Santos")], name="next.csv"))

    assert out == "1 rows: 0 created, 1 updated, 0 unchanged, 0 rejected\n"
    assert Holder.objects.get(tax_id=MARIA).name == "Maria da Silva Santos"
    assert Account.objects.count() == 1


def test_progress_is_printed_to_stderr_every_n_rows_and_at_the_end(tmp_path) -> None:
    out, err = run(write_csv(tmp_path, ROWS), "--progress-every", "2")

    assert err.splitlines() == [
        "imported 2/7 rows: 2 created, 0 updated, 0 unchanged, 0 rejected",
        "imported 4/7 rows: 2 created, 0 updated, 0 unchanged, 2 rejected",
        "imported 6/7 rows: 2 created, 0 updated, 0 unchanged, 4 rejected",
        "imported 7/7 rows: 3 created, 0 updated, 0 unchanged, 4 rejected",
    ]
    assert out.splitlines() == FIRST_RUN


def test_a_missing_required_column_refuses_the_whole_file(tmp_path) -> None:
    header = HEADER.removesuffix(",opening_date,username")
    path = write_csv(tmp_path, [",".join(ROWS[0].split(",")[:6])], header=header)

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value) == ("bad header row: missing required column(s): opening_date. Expected columns: " + HEADER)
    assert Holder.objects.count() == 0


def test_a_file_without_header_row_is_refused_without_echoing_its_data(tmp_path) -> None:
    path = write_csv(tmp_path, ROWS[1:2], header=ROWS[0])

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value) == (
        "bad header row: missing required column(s): tax_id, name, branch, number, account_type, opening_date; "
        "unknown column(s) at position 1, 2, 3, 4, 5, 6, 7, 8 (is the header row missing?). Expected columns: " + HEADER
    )
    assert MARIA not in str(error.value)
    assert Holder.objects.count() == 0


def test_an_empty_file_is_refused(tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run(str(path))

    assert str(error.value) == "the file is empty: a header row naming the columns is required."


def test_optional_columns_may_be_left_out(tmp_path) -> None:
    header = "tax_id,name,branch,number,account_type,opening_date"
    out, _ = run(write_csv(tmp_path, [f"{JOSE},José Souza,0001,4000045,TRAN,2024-01-02"], header=header))

    assert out == "1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected\n"
    assert Holder.objects.get(tax_id=JOSE).user is None


def test_a_missing_file_is_a_command_error(tmp_path) -> None:
    with pytest.raises(CommandError) as error:
        run(str(tmp_path / "nope.csv"))

    assert str(error.value) == f"cannot read {tmp_path / 'nope.csv'}: No such file or directory"


def test_a_file_that_is_not_utf8_is_refused(tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n{ROWS[3]}\n".encode("latin-1"))

    with pytest.raises(CommandError) as error:
        run(str(path))

    assert str(error.value) == "cannot read the file: it is not UTF-8 text; nothing was imported."
    assert Holder.objects.count() == 0


def test_a_byte_order_mark_is_tolerated(tmp_path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(f"{HEADER}\n{ROWS[0]}\n", encoding="utf-8-sig")

    out, _ = run(str(path))

    assert out == "1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected\n"


def test_dash_reads_stdin(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join([HEADER, *ROWS]) + "\n"))

    out, err = run("-")

    assert out.splitlines() == FIRST_RUN
    assert err == "imported 7/7 rows: 3 created, 0 updated, 0 unchanged, 4 rejected\n"


def test_dash_reads_a_pipe_as_utf8_with_bom_and_leaves_stdin_open(monkeypatch) -> None:
    """The real stdin: bytes decoded here, total unknown (not seekable), so progress has no "/total"."""
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(("\ufeff" + "\n".join([HEADER, *ROWS]) + "\n").encode())
    with os.fdopen(read_fd, encoding="ascii") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)

        out, err = run("-")

        assert not stdin.closed
    assert out.splitlines() == FIRST_RUN
    assert err == "imported 7 rows: 3 created, 0 updated, 0 unchanged, 4 rejected\n"
    assert Holder.objects.filter(name="Maria da Silva").count() == 1


def test_strict_fails_when_a_row_is_rejected_but_keeps_the_good_rows(tmp_path) -> None:
    with pytest.raises(CommandError) as error:
        run(write_csv(tmp_path, ROWS), "--strict")

    assert str(error.value) == "4 row(s) rejected (--strict); the other rows were imported."
    assert Account.objects.count() == 3


def test_strict_passes_when_every_row_is_good(tmp_path) -> None:
    out, _ = run(write_csv(tmp_path, [ROWS[0], ROWS[1]]), "--strict")

    assert out == "2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected\n"


def test_the_rejection_listing_stops_at_fifty(tmp_path) -> None:
    no_number = f"{MARIA},Maria da Silva,,0001,,CACC,2024-01-02,"
    out, _ = run(write_csv(tmp_path, [no_number] * 53))

    lines = out.splitlines()
    assert lines[:3] == [
        "53 rows: 0 created, 0 updated, 0 unchanged, 53 rejected",
        "rejected rows:",
        "  line 2: number: required",
    ]
    assert lines[-2:] == ["  line 51: number: required", "  ... and 3 more"]
    assert len(lines) == 53


def test_progress_every_must_be_positive(tmp_path) -> None:
    with pytest.raises(CommandError) as error:
        run(write_csv(tmp_path, ROWS), "--progress-every", "0")

    assert str(error.value) == "--progress-every must be at least 1."


def test_the_sample_export_imports_with_its_one_bad_row() -> None:
    out, _ = run(str(Path(settings.BASE_DIR) / "accounts" / "fixtures" / "sample_accounts.csv"))

    assert out.splitlines() == [
        "6 rows: 5 created, 0 updated, 0 unchanged, 1 rejected",
        "rejected rows:",
        "  line 7: tax_id: tax_id must be a CPF (11 digits) or CNPJ (14 digits) with valid check digits.",
    ]
    assert sorted(Holder.objects.values_list("person_type", flat=True)) == [
        "LEGAL_PERSON",
        "NATURAL_PERSON",
        "NATURAL_PERSON",
    ]
    assert Account.objects.count() == 5

"""CID and VSync as DICT computes them (DICT_RULES §7, the spec's worked example)."""

import uuid
from datetime import UTC, datetime

from dict_rules.cid import compute_cid, vsync
from dict_rules.directory import BankAccount, Owner


def test_cid_reproduces_the_spec_example() -> None:
    cid = compute_cid(
        request_id=uuid.UUID(bytes=bytes(range(1, 17))),
        key_type="PHONE",
        key="+5511987654321",
        owner=Owner(person_type="NATURAL_PERSON", tax_id="11122233300", name="João Silva", trade_name=""),
        account=BankAccount(
            participant="12345678",
            branch="00001",
            number="0007654321",
            account_type="CACC",
            opening_date=datetime(2020, 1, 2, tzinfo=UTC),
        ),
    )
    assert cid == "28c06eb41c4dc9c3ae114831efcac7446c8747777fca8b145ecd31ff8480ae88"


def test_vsync_is_the_xor_of_cids() -> None:
    a = "0f" * 32
    b = "f0" * 32
    assert vsync([]) == "0" * 64
    assert vsync([a]) == a
    assert vsync([a, b]) == "f" * 64
    assert vsync([a, b, b]) == a

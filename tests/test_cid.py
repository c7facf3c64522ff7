"""CID and VSync as DICT computes them (DICT_RULES §7, the spec's worked example)."""

import uuid

from dict_rules.cid import compute_cid, vsync


def test_cid_reproduces_the_spec_example() -> None:
    cid = compute_cid(
        request_id=uuid.UUID(bytes=bytes(range(1, 17))),
        key_type="PHONE",
        key="+5511987654321",
        owner_tax_id="11122233300",
        owner_name="João Silva",
        owner_trade_name="",
        participant="12345678",
        branch="00001",
        account_number="0007654321",
        account_type="CACC",
    )
    assert cid == "28c06eb41c4dc9c3ae114831efcac7446c8747777fca8b145ecd31ff8480ae88"


def test_vsync_is_the_xor_of_cids() -> None:
    a = "0f" * 32
    b = "f0" * 32
    assert vsync([]) == "0" * 64
    assert vsync([a]) == a
    assert vsync([a, b]) == "f" * 64
    assert vsync([a, b, b]) == a

"""Key formats of DICT_RULES §1, as the domain enforces them (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dict_rules.errors import EntryInvalid, EntryTaxIdNumberByDifferentOwner, TaxIdInvalid
from dict_rules.keys import check_key_matches_owner, normalize_key
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base, is_valid_cnpj, is_valid_cpf, person_type_for_tax_id

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1))
def test_every_cpf_with_computed_check_digits_is_valid(base: str) -> None:
    cpf = cpf_from_base(base)
    assert is_valid_cpf(cpf)
    assert normalize_key("CPF", cpf) == cpf


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1),
    st.integers(min_value=9, max_value=10),
    st.integers(min_value=1, max_value=9),
)
def test_a_cpf_with_a_wrong_check_digit_is_refused(base: str, position: int, delta: int) -> None:
    cpf = cpf_from_base(base)
    broken = cpf[:position] + str((int(cpf[position]) + delta) % 10) + cpf[position + 1 :]
    assert not is_valid_cpf(broken)
    with pytest.raises(EntryInvalid):
        normalize_key("CPF", broken)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12).filter(lambda s: len(set(s)) > 1))
def test_every_cnpj_with_computed_check_digits_is_valid(base: str) -> None:
    cnpj = cnpj_from_base(base)
    assert is_valid_cnpj(cnpj)
    assert normalize_key("CNPJ", cnpj) == cnpj


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12).filter(lambda s: len(set(s)) > 1),
    st.integers(min_value=12, max_value=13),
    st.integers(min_value=1, max_value=9),
)
def test_a_cnpj_with_a_wrong_check_digit_is_refused(base: str, position: int, delta: int) -> None:
    cnpj = cnpj_from_base(base)
    broken = cnpj[:position] + str((int(cnpj[position]) + delta) % 10) + cnpj[position + 1 :]
    assert not is_valid_cnpj(broken)
    with pytest.raises(EntryInvalid):
        normalize_key("CNPJ", broken)


@pytest.mark.parametrize(
    "value",
    ["111.444.777-35", "1114447773", "111444777350", "11111111111", "1114447773a", " ", "11.222.333/0001-81"],
)
def test_malformed_cpf_keys_are_refused(value: str) -> None:
    with pytest.raises(EntryInvalid) as caught:
        normalize_key("CPF", value)
    assert caught.value.fields[0].field == "key_value"


def test_known_cpf_and_cnpj_pass() -> None:
    assert normalize_key("CPF", "11144477735") == "11144477735"
    assert normalize_key("CNPJ", "11222333000181") == "11222333000181"


@pytest.mark.parametrize("value", ["11.222.333/0001-81", "1122233300018", "11222333000182", "00000000000000"])
def test_malformed_cnpj_keys_are_refused(value: str) -> None:
    with pytest.raises(EntryInvalid):
        normalize_key("CNPJ", value)


@pytest.mark.parametrize("value", ["+5511987654321", "+5521998765432", "+5561991234567"])
def test_brazilian_mobiles_are_phone_keys(value: str) -> None:
    assert normalize_key("PHONE", value) == value


@pytest.mark.parametrize(
    "value",
    [
        "5511987654321",  # no +
        "+55 11 98765-4321",  # punctuation
        "+551187654321",  # too short (landline length)
        "+5511387654321",  # landline, not a mobile
        "+14155552671",  # valid E.164 but not Brazilian: refused (stricter reading, UNCERTAIN in the rules)
        "+5500987654321",  # no such area code
        "+55119876543210",  # too long
    ],
)
def test_non_mobile_or_malformed_phones_are_refused(value: str) -> None:
    with pytest.raises(EntryInvalid):
        normalize_key("PHONE", value)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("maria@example.com", "maria@example.com"),
        ("Maria.Silva@Example.COM", "maria.silva@example.com"),
        ("a+tag@sub.example.com.br", "a+tag@sub.example.com.br"),
        ("o'brien@example.com", "o'brien@example.com"),
    ],
)
def test_email_keys_are_stored_lowercase(raw: str, stored: str) -> None:
    assert normalize_key("EMAIL", raw) == stored


@pytest.mark.parametrize(
    "value",
    [
        "no-at-sign.example.com",
        "a%b@example.com",  # % banned since API 1.7.2
        "a&b@example.com",  # & refused: UNCERTAIN in the rules, stricter reading
        "a@-example.com",
        "a b@example.com",
        "a@example..com",
        ("x" * 66) + "@example.com",  # 78 characters: over DICT's 77
    ],
)
def test_invalid_email_keys_are_refused(value: str) -> None:
    with pytest.raises(EntryInvalid):
        normalize_key("EMAIL", value)


def test_a_77_character_email_is_the_longest_accepted() -> None:
    value = ("x" * 65) + "@example.com"
    assert len(value) == 77
    assert normalize_key("EMAIL", value) == value


def test_evp_keys_are_generated_never_supplied() -> None:
    assert normalize_key("EVP", None) is None
    assert normalize_key("EVP", "") is None
    with pytest.raises(EntryInvalid):
        normalize_key("EVP", "123e4567-e89b-12d3-a456-426614174000")


@pytest.mark.parametrize("key_type", ["CPF", "CNPJ", "PHONE", "EMAIL"])
def test_other_types_need_a_value(key_type: str) -> None:
    with pytest.raises(EntryInvalid):
        normalize_key(key_type, None)


def test_unknown_key_type_is_refused() -> None:
    with pytest.raises(EntryInvalid) as caught:
        normalize_key("IBAN", "x")
    assert caught.value.fields[0].field == "key_type"


def test_cpf_and_cnpj_keys_must_be_the_holders_own_tax_id() -> None:
    check_key_matches_owner(key_type="CPF", key="11144477735", person_type="NATURAL_PERSON", tax_id="11144477735")
    with pytest.raises(EntryTaxIdNumberByDifferentOwner):
        check_key_matches_owner(key_type="CPF", key="11144477735", person_type="NATURAL_PERSON", tax_id="52998224725")
    with pytest.raises(EntryTaxIdNumberByDifferentOwner):
        check_key_matches_owner(
            key_type="CNPJ", key="11222333000181", person_type="NATURAL_PERSON", tax_id="11144477735"
        )
    check_key_matches_owner(key_type="EMAIL", key="a@b.com", person_type="NATURAL_PERSON", tax_id="11144477735")


def test_tax_id_decides_the_person_type() -> None:
    assert person_type_for_tax_id("11144477735") == "NATURAL_PERSON"
    assert person_type_for_tax_id("11222333000181") == "LEGAL_PERSON"
    with pytest.raises(TaxIdInvalid):
        person_type_for_tax_id("11144477736")


@pytest.mark.parametrize(
    ("key_type", "value"),
    [("PHONE", "+5511987654321\n"), ("EMAIL", "a@example.com\n"), ("CPF", "11144477735\n")],
)
def test_a_trailing_newline_is_not_part_of_a_valid_value(key_type: str, value: str) -> None:
    """``$`` matches before a final newline; the rules must use whole-string matches."""
    from dict_rules.keys import _is_email_key, _is_phone_key

    checks = {"PHONE": _is_phone_key, "EMAIL": _is_email_key, "CPF": is_valid_cpf}
    assert not checks[key_type](value)

"""DICT's anti-fraud statistics in lookups (DICT_RULES §6): for the PSP's risk engine only, for a payer it
names, never from the answer cache, charged as any lookup; a customer's answer never changes. REST here,
against the simulated directory in-process; gRPC gives the same answers (tests/test_parity.py)."""

import json
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from backoffice.roles import RISK_ENGINE
from common.redis_client import shared_redis
from dict_rules.lookups import PayerView, new_end_to_end_id
from dict_rules.med import ContactInformation, InfractionReportRequest
from dictsim import infractions, spi
from lookup.store import answer_cache_key
from tests.factories import OTHER_PSP, at_other_psp, look, new_cnpj, new_cpf, tokens_left, unknown_email

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_api_rate_limit")]

PAYER_FIELDS = {"key", "key_type", "person_type", "name", "trade_name", "tax_id", "ispb", "end_to_end_id"}
NOTHING = {"d90": 0, "m12": 0, "m60": 0}


@pytest.fixture
def risk_engine(make_user):
    """The risk engine's service user: in the Risk engine role, no holder, not staff."""
    user = make_user()
    user.groups.add(Group.objects.get(name=RISK_ENGINE))
    return user


def look_with_statistics(client, key: str, **query):
    return client.get(f"/api/v1/lookup/{quote(key, safe='')}/?{urlencode({'include_statistics': 'true'} | query)}")


def pay(payer_account, key: str, amount: str) -> str:
    """A payment from our customer to ``key``, settled at the SPI (dictsim's ledger)."""
    end_to_end_id = new_end_to_end_id(ispb=settings.DICT_ISPB, at=timezone.now())
    spi.settle(
        end_to_end_id=end_to_end_id,
        payer_participant=settings.DICT_ISPB,
        payer_tax_id=payer_account.holder.tax_id,
        receiver_key=key,
        amount=Decimal(amount),
    )
    return end_to_end_id


def report(end_to_end_id: str):
    """Our infraction report (REFUND_REQUEST) on a payment, at the directory."""
    request = InfractionReportRequest(
        transaction_id=end_to_end_id,
        reason="REFUND_REQUEST",
        situation_type="SCAM",
        contact=ContactInformation(email="fraude@example.com", phone="+5511987654321"),
    )
    return infractions.report_create(participant=settings.DICT_ISPB, request=request)


def test_a_risk_engine_sees_dicts_counters_move_with_payments_reports_and_markers(
    make_account, client_for, risk_engine
) -> None:
    payer = make_account()
    cpf = new_cpf()
    key = "golpista@example.com"
    at_other_psp("EMAIL", key, tax_id=cpf)
    engine = client_for(risk_engine)

    before = look_with_statistics(engine, key, payer_account_id=payer.pk)
    assert before.status_code == 200
    body = before.json()
    assert set(body) == PAYER_FIELDS | {"statistics", "statistics_absent_reason"}
    assert body["tax_id"] == f"***.{cpf[3:6]}.{cpf[6:9]}-**"  # the payer's view, as a customer gets it
    assert body["statistics_absent_reason"] is None
    assert body["statistics"]["key"]["settlements"] == NOTHING
    assert body["statistics"]["key"]["accounts"] == {"d90": 1, "m12": 1, "m60": 1}

    paid = pay(payer, key, "150.40")
    pay(payer, key, "20.00")
    opened = report(paid)
    during = look_with_statistics(engine, key, payer_account_id=payer.pk).json()["statistics"]
    infractions.report_acknowledge(participant=OTHER_PSP, report_id=opened.id)
    infractions.report_close(
        participant=OTHER_PSP, report_id=opened.id, analysis_result="AGREED", fraud_type="SCAMMER_ACCOUNT"
    )
    after = look_with_statistics(engine, key, payer_account_id=payer.pk).json()["statistics"]

    for block in ("key", "owner"):
        assert during[block]["settlements"]["d90"] == 2  # today's: not yet in m12 or m60, DICT's full months
        assert (during[block]["open_reports"], during[block]["open_reports_distinct_reporters"]) == (1, 1)
        assert during[block]["scammer_accounts"] == NOTHING
        assert (after[block]["open_reports"], after[block]["open_reports_distinct_reporters"]) == (0, 0)
        assert after[block]["scammer_accounts"]["d90"] == 1
        assert after[block]["distinct_fraud_reporters"]["d90"] == 1
        assert after[block]["total_fraud_transaction_amount"]["d90"] == 150  # whole reais
        assert after[block]["mule_accounts"] == NOTHING
        assert after[block]["watermark"]


def test_a_customer_asking_for_statistics_is_refused_before_any_token_is_spent(
    make_account, client_for, directory_calls
) -> None:
    payer = make_account()
    key = at_other_psp("EMAIL", f"x-{new_cpf()}@example.com").key
    customer = client_for(payer.holder.user)
    tokens = tokens_left(payer.holder)

    asked = look_with_statistics(customer, key)
    for_another = customer.get(f"/api/v1/lookup/{quote(key, safe='')}/?payer_account_id={payer.pk}")
    plain = customer.get(f"/api/v1/lookup/{quote(key, safe='')}/?include_statistics=false&unrelated=1")

    assert (asked.status_code, asked.json()["code"]) == (403, "Forbidden")
    assert "risk engine" in asked.json()["detail"]
    assert (for_another.status_code, for_another.json()["code"]) == (403, "Forbidden")
    assert plain.status_code == 200
    assert set(plain.json()) == PAYER_FIELDS  # a customer's answer, as it always was
    assert directory_calls == [key]  # only the plain lookup reached the directory
    assert tokens_left(payer.holder)[0] == tokens[0] - 1


@pytest.mark.parametrize("who", ["staff without the permission", "a customer in the risk engine role"])
def test_only_the_risk_engine_may_ask(who, make_account, make_user, client_for) -> None:
    payer = make_account()
    key = at_other_psp("EMAIL", f"y-{new_cpf()}@example.com").key
    if who.startswith("staff"):
        user = make_user(staff=True)
    else:
        user = make_account().holder.user  # statistics never reach an end user, whatever their groups
        user.groups.add(Group.objects.get(name=RISK_ENGINE))

    response = look_with_statistics(client_for(user), key, payer_account_id=payer.pk)

    assert (response.status_code, response.json()["code"]) == (403, "Forbidden")


def test_the_risk_engine_names_one_of_our_open_accounts_and_only_for_statistics(
    make_account, client_for, risk_engine, directory_calls
) -> None:
    """A wrong account is the engine's mistake (400 on the field), never NotFound, which means "no such key"."""
    key = at_other_psp("EMAIL", f"z-{new_cpf()}@example.com").key
    closed = make_account()
    closed.closed_at = timezone.now()
    closed.save(update_fields=["closed_at"])
    foreign = make_account()
    foreign.ispb = OTHER_PSP
    foreign.save(update_fields=["ispb"])
    payer = make_account()
    engine = client_for(risk_engine)
    tokens = tokens_left(payer.holder)

    unnamed = look_with_statistics(engine, key)
    malformed = look_with_statistics(engine, key, payer_account_id="abc")
    bad_flag = engine.get(f"/api/v1/lookup/{quote(key, safe='')}/?include_statistics=perhaps")
    unknown = look_with_statistics(engine, key, payer_account_id=10**12)
    of_closed = look_with_statistics(engine, key, payer_account_id=closed.pk)
    of_another_psp = look_with_statistics(engine, key, payer_account_id=foreign.pk)
    plain_for_payer = engine.get(f"/api/v1/lookup/{quote(key, safe='')}/?payer_account_id={payer.pk}")
    as_itself = look(engine, key)  # without statistics the caller must be the payer, as always

    for response, field in (
        (unnamed, "payer_account_id"),
        (malformed, "payer_account_id"),
        (bad_flag, "include_statistics"),
        (unknown, "payer_account_id"),
        (of_closed, "payer_account_id"),
        (of_another_psp, "payer_account_id"),
        (plain_for_payer, "payer_account_id"),
    ):
        assert (response.status_code, response.json()["code"]) == (400, "BadRequest")
        assert [error["field"] for error in response.json()["errors"]] == [field]
    assert (as_itself.status_code, as_itself.json()["code"]) == (403, "Forbidden")
    assert directory_calls == []
    assert tokens_left(payer.holder) == tokens  # a plain lookup in the customer's name was never made


def test_each_statistics_lookup_is_logged_with_the_engine_and_the_account_it_named(
    make_account, client_for, risk_engine, caplog
) -> None:
    payer = make_account()
    key = at_other_psp("EMAIL", f"v-{new_cpf()}@example.com").key

    with caplog.at_level("INFO", logger="lookup.services"):
        response = look_with_statistics(client_for(risk_engine), key, payer_account_id=payer.pk)

    assert response.status_code == 200
    assert f"statistics lookup by user #{risk_engine.pk} for account #{payer.pk}" in caplog.messages
    assert not any(payer.holder.tax_id in message or key in message for message in caplog.messages)  # ids only


def cached_answer(key: str) -> dict | None:
    """The legal person's answer as the lookup cached it in Redis (lookup.store)."""
    redis = shared_redis()
    raw = redis.client.get(redis.key(answer_cache_key(key)))
    return json.loads(raw) if raw else None


def test_statistics_lookups_skip_the_answer_cache_and_never_fill_it_with_statistics(
    make_account, client_for, risk_engine, directory_calls
) -> None:
    payer = make_account()
    key = at_other_psp("EMAIL", f"empresa-{new_cnpj()}@example.com", tax_id=new_cnpj()).key  # a legal person's
    assert look(client_for(payer.holder.user), key).status_code == 200  # cached for 180 s
    assert cached_answer(key)

    pay(payer, key, "10.00")
    fresh = look_with_statistics(client_for(risk_engine), key, payer_account_id=payer.pk)

    assert directory_calls == [key, key]  # the cached answer did not serve it
    assert fresh.json()["statistics"]["key"]["settlements"]["d90"] == 1  # DICT's current counters
    assert set(cached_answer(key)) == set(PayerView.__dataclass_fields__)


def test_our_own_key_has_no_statistics_and_says_why(make_account, make_entry, client_for, risk_engine, directory_calls):
    ours = make_entry(make_account(legal=True), "EMAIL", f"loja-{new_cnpj()}@example.com")
    payer = make_account()

    response = look_with_statistics(client_for(risk_engine), ours.key_value, payer_account_id=payer.pk)

    assert response.status_code == 200
    body = response.json()
    assert (body["statistics"], body["statistics_absent_reason"]) == (None, "BOOK_TRANSFER")
    assert body["ispb"] == settings.DICT_ISPB
    assert directory_calls == []  # DICT refuses lookups of a participant's own keys


def test_a_statistics_lookup_is_the_payers_charged_and_credited_as_any_lookup(
    make_account, client_for, risk_engine
) -> None:
    payer = make_account()
    key = at_other_psp("EMAIL", f"w-{new_cpf()}@example.com").key
    engine = client_for(risk_engine)
    payer_tokens, psp_tokens = tokens_left(payer.holder)

    found = look_with_statistics(engine, key, payer_account_id=payer.pk)
    assert tokens_left(payer.holder) == (payer_tokens - 1, psp_tokens - 1)
    missed = look_with_statistics(engine, unknown_email(), payer_account_id=payer.pk)
    assert (missed.status_code, missed.json()["code"]) == (404, "NotFound")
    assert tokens_left(payer.holder) == (payer_tokens - 21, psp_tokens - 4)

    # The EndToEndId is the payer's: their own session reports the payment and gets the tokens back.
    credit = client_for(payer.holder.user).post(
        "/api/v1/lookup/payments/", {"end_to_end_id": found.json()["end_to_end_id"]}, format="json"
    )
    assert credit.status_code == 200
    assert tokens_left(payer.holder) == (payer_tokens - 20, psp_tokens - 3)

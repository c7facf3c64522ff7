"""Lookups over REST: what a payer sees, book transfers, the legal-person cache, anti-scan buckets,
payment credits, and the errors, all against the simulated directory through the local adapter."""

import hashlib
import logging
import re
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.checks import ERROR, run_checks
from django_redis import get_redis_connection
from redis import Redis
from rest_framework.renderers import JSONRenderer

from connect.client import get_client
from connect.local import LocalDirectoryClient
from connect.ports import DirectoryNotAsked
from dict_rules.buckets import PAYER_COST
from dict_rules.errors import EntryCannotBeQueriedForBookTransfer, ServiceUnavailable
from dict_rules.keys import KeyType
from dict_rules.lookups import answer_cache_ttl
from dict_rules.tax_ids import PersonType
from dictsim import services as dictsim
from dictsim.models import DirEntry
from lookup.domain import LookupAnswer, normalize_lookup_key
from lookup.serializers import LookupOut, customer_answer
from lookup.store import FINISH_LUA, get_lookup_store
from tests.factories import (
    OTHER_PSP,
    at_other_psp,
    look,
    new_cnpj,
    new_cpf,
    new_phone,
    rest_proof,
    tokens_left,
    unknown_email,
)

# These tests make many calls in a second; the per-client RPS limit has its own tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_api_rate_limit")]

PAYER_FIELDS = {"key", "key_type", "person_type", "name", "trade_name", "tax_id", "ispb", "end_to_end_id"}
E2E_RE = re.compile(r"^E(?P<ispb>[0-9]{8})(?P<minute>[0-9]{12})[A-Za-z0-9]{11}$")


def register_here(client, account, key: str) -> None:
    """Our own key, through the API: registered in the directory under our ISPB, and ACTIVE here.

    The key is registered by an on-commit callback of the request's own transaction, before the
    response is built: tests calling this need real commits (``django_db(transaction=True)``);
    ``django_capture_on_commit_callbacks`` would run the callback only after the response.
    """
    body = {"account_id": account.pk, "key_type": "EMAIL", "key_value": key, "request_id": str(uuid.uuid4())}
    body["possession_challenge_id"] = rest_proof(client, "EMAIL", key)
    response = client.post("/api/v1/keys/", body, format="json")
    assert response.json()["status"] == "ACTIVE"


def pay(client, end_to_end_id: str):
    return client.post("/api/v1/lookup/payments/", {"end_to_end_id": end_to_end_id}, format="json")


def test_a_key_at_another_psp_shows_the_payer_only_what_dict_allows(make_account, client_for) -> None:
    cpf = new_cpf()
    entry = at_other_psp("EMAIL", "joana.souza@example.com", tax_id=cpf)
    payer = make_account()
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    response = look(client_for(payer.holder.user), "  Joana.Souza@Example.COM ")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAYER_FIELDS
    assert {k: v for k, v in body.items() if k != "end_to_end_id"} == {
        "key": "joana.souza@example.com",
        "key_type": "EMAIL",
        "person_type": "NATURAL_PERSON",
        "name": "Joana Souza",
        "trade_name": None,
        "tax_id": f"***.{cpf[3:6]}.{cpf[6:9]}-**",
        "ispb": OTHER_PSP,
    }
    e2e = E2E_RE.match(body["end_to_end_id"])
    assert e2e is not None and e2e["ispb"] == settings.DICT_ISPB
    minute = datetime.strptime(e2e["minute"], "%Y%m%d%H%M").replace(tzinfo=UTC)
    assert before <= minute <= datetime.now(UTC)
    for account_data in (entry.account_number, "SVGS", "2021-05-06", cpf):
        assert account_data not in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_legal_persons_cnpj_and_trade_name_are_shown_in_full(make_account, client_for) -> None:
    cnpj = new_cnpj()
    at_other_psp("CNPJ", cnpj, tax_id=cnpj, name="PADARIA BOM PAO LTDA")
    body = look(client_for(make_account().holder.user), cnpj).json()
    assert (body["tax_id"], body["name"], body["trade_name"]) == (cnpj, "PADARIA BOM PAO LTDA", "PADARIA BOM PAO")
    assert body["person_type"] == "LEGAL_PERSON"


def test_every_lookup_carries_a_new_end_to_end_id(make_account, client_for) -> None:
    at_other_psp("EMAIL", "twice@example.com")
    client = client_for(make_account().holder.user)
    ids = {look(client, "twice@example.com").json()["end_to_end_id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.django_db(transaction=True)  # register_here
def test_our_own_key_is_answered_here_without_asking_the_directory(make_account, client_for, directory_calls) -> None:
    owner = make_account()
    register_here(client_for(owner.holder.user), owner, "maria@example.com")
    # Registration put the key in the directory under our ISPB, and DICT refuses to resolve it for us.
    with pytest.raises(EntryCannotBeQueriedForBookTransfer):
        dictsim.entry_get(
            participant=settings.DICT_ISPB, key="maria@example.com", payer_id=new_cpf(), end_to_end_id="E1"
        )
    response = look(client_for(make_account().holder.user), "maria@example.com")
    assert response.status_code == 200
    tax_id = owner.holder.tax_id
    assert {k: v for k, v in response.json().items() if k != "end_to_end_id"} == {
        "key": "maria@example.com",
        "key_type": "EMAIL",
        "person_type": "NATURAL_PERSON",
        "name": "Maria da Silva",
        "trade_name": None,
        "tax_id": f"***.{tax_id[3:6]}.{tax_id[6:9]}-**",
        "ispb": settings.DICT_ISPB,
    }
    assert directory_calls == []


def test_legal_persons_answers_are_cached_and_natural_persons_are_not(
    make_account, client_for, directory_calls
) -> None:
    cnpj, phone = new_cnpj(), new_phone()
    at_other_psp("CNPJ", cnpj, tax_id=cnpj, name="PADARIA BOM PAO LTDA")
    at_other_psp("PHONE", phone, name="Joana Souza")
    client = client_for(make_account().holder.user)
    assert look(client, cnpj).json()["name"] == "PADARIA BOM PAO LTDA"
    assert look(client, phone).json()["name"] == "Joana Souza"
    DirEntry.objects.filter(key=cnpj).update(owner_name="PADARIA NOVA LTDA")
    DirEntry.objects.filter(key=phone).update(owner_name="Joana Souza Lima")
    assert look(client, cnpj).json()["name"] == "PADARIA BOM PAO LTDA"
    assert look(client, phone).json()["name"] == "Joana Souza Lima"
    assert directory_calls == [cnpj, phone, phone]
    # The cache key holds the key's SHA-256, never the key; the answer lives at most 180 s.
    redis = get_redis_connection("default")
    names = [name.decode() for name in redis.keys("*")]
    assert not [name for name in names if cnpj in name or phone in name]
    [cached] = [name for name in names if name.endswith("{lookup}:answer:" + hashlib.sha256(cnpj.encode()).hexdigest())]
    assert 170 < redis.ttl(cached) <= 180


def test_the_legal_cache_never_outlives_dicts_180_seconds() -> None:
    assert answer_cache_ttl(person_type="LEGAL_PERSON", configured_sec=600) == 180
    assert answer_cache_ttl(person_type="LEGAL_PERSON", configured_sec=30) == 30
    assert answer_cache_ttl(person_type="NATURAL_PERSON", configured_sec=180) == 0


def test_unknown_key_is_a_404_problem_and_is_not_cached(make_account, client_for) -> None:
    client = client_for(make_account().holder.user)
    missing = look(client, "later@example.com")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert missing.json()["code"] == "NotFound"
    at_other_psp("EMAIL", "later@example.com")
    assert look(client, "later@example.com").status_code == 200


def test_a_miss_costs_the_payer_exactly_twenty_tokens(make_account, client_for, settings) -> None:
    """With 21 tokens: a miss leaves 1, a found key takes it, and the next lookup is refused."""
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 21
    at_other_psp("EMAIL", "found@example.com")
    client = client_for(make_account().holder.user)
    statuses = [look(client, key).status_code for key in (unknown_email(), "found@example.com", "found@example.com")]
    assert statuses == [404, 200, 429]


def test_a_natural_person_scanning_unknown_keys_is_stopped_after_five_misses(
    make_account, client_for, directory_calls
) -> None:
    scanner = client_for(make_account().holder.user)
    answers = [look(scanner, unknown_email()) for _ in range(30)]
    assert [a.status_code for a in answers] == [404] * 5 + [429] * 25
    assert len(directory_calls) == 5
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "RateLimited"
    assert refused.json()["status"] == 429
    # 100 - 5 x 20 = 0 tokens: the next 2 come back within one refill minute.
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another payer is not affected.
    assert look(client_for(make_account().holder.user), unknown_email()).status_code == 404


@pytest.mark.django_db(transaction=True)  # register_here
def test_the_psp_bucket_is_shared_by_all_payers_and_spares_book_transfers(
    make_account, client_for, settings, directory_calls
) -> None:
    """Category H holds 50 tokens and a miss costs the PSP 3: seventeen misses, from anyone, then 429."""
    settings.LOOKUP_PSP_CATEGORY = "H"
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 1000
    alice, bob = make_account(), make_account()
    owner = make_account()
    register_here(client_for(owner.holder.user), owner, "ours@example.com")
    clients = [client_for(alice.holder.user), client_for(bob.holder.user)]
    statuses = [look(clients[i % 2], unknown_email()).status_code for i in range(20)]
    assert statuses == [404] * 17 + [429] * 3
    refused = look(clients[1], unknown_email())
    assert (refused.status_code, int(refused["Retry-After"]) <= 60) == (429, True)
    assert look(clients[0], "ours@example.com").status_code == 200
    assert len(directory_calls) == 17


def test_a_payment_gives_the_token_back_once(make_account, client_for, settings) -> None:
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 1
    at_other_psp("EMAIL", "shop@example.com")
    client = client_for(make_account().holder.user)
    first = look(client, "shop@example.com")
    assert first.status_code == 200
    assert look(client, "shop@example.com").status_code == 429
    e2e = first.json()["end_to_end_id"]
    credited = pay(client, e2e)
    assert (credited.status_code, credited.json()) == (200, {"credited": True, "end_to_end_id": e2e})
    assert look(client, "shop@example.com").status_code == 200
    again = pay(client, e2e)
    assert (again.status_code, again.json()["code"]) == (404, "NotFound")
    assert look(client, "shop@example.com").status_code == 429


def test_a_legal_persons_payment_gives_two_tokens_back(make_account, client_for, settings) -> None:
    settings.LOOKUP_PAYER_LEGAL_CAPACITY = 2
    at_other_psp("EMAIL", "supplier@example.com")
    client = client_for(make_account(legal=True).holder.user)
    looked = [look(client, "supplier@example.com") for _ in range(3)]
    assert [r.status_code for r in looked] == [200, 200, 429]
    assert pay(client, looked[0].json()["end_to_end_id"]).status_code == 200
    assert [look(client, "supplier@example.com").status_code for _ in range(3)] == [200, 200, 429]


def test_only_the_payer_who_looked_up_may_report_the_payment(make_account, client_for) -> None:
    at_other_psp("EMAIL", "mine@example.com")
    payer = client_for(make_account().holder.user)
    stranger = client_for(make_account().holder.user)
    e2e = look(payer, "mine@example.com").json()["end_to_end_id"]
    refused = pay(stranger, e2e)
    assert (refused.status_code, refused.json()["code"]) == (404, "NotFound")
    assert pay(payer, e2e).status_code == 200


def test_unknown_and_malformed_end_to_end_ids(make_account, client_for) -> None:
    client = client_for(make_account().holder.user)
    unknown = pay(client, f"E{settings.DICT_ISPB}202501011200abcdefGHIJ1")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NotFound")
    for malformed in ({"end_to_end_id": "E123"}, {"end_to_end_id": "X" * 32}, {}):
        response = client.post("/api/v1/lookup/payments/", malformed, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "BadRequest")


def test_a_key_longer_than_77_characters_is_entry_invalid(make_account, client_for) -> None:
    response = look(client_for(make_account().holder.user), "a" * 66 + "@example.com")
    assert (response.status_code, response.json()["code"]) == (400, "EntryInvalid")


@pytest.mark.parametrize(
    "malformed",
    # A NUL or other control character is BadRequest, as on every text input: tests/test_input_edges.py.
    ["not a key", "111.444.777-35", "+55 11 98765-4321", "123456789", "+12025550123"],
)
def test_a_value_that_is_no_key_is_refused_before_any_token_is_spent(
    make_account, client_for, settings, directory_calls, malformed: str
) -> None:
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 1
    client = client_for(make_account().holder.user)
    refused = look(client, malformed)
    assert (refused.status_code, refused.json()["code"], refused.json()["errors"][0]["field"]) == (
        400,
        "EntryInvalid",
        "key",
    )
    assert directory_calls == []
    assert look(client, unknown_email()).status_code == 404  # the one token was still there


def test_lookup_keys_are_normalized_as_dict_stores_them() -> None:
    assert normalize_lookup_key("  Ana@Example.COM ") == "ana@example.com"
    assert normalize_lookup_key("6F1C0E2A-3B4D-4E5F-8A9B-0C1D2E3F4A5B") == "6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert normalize_lookup_key("+5511987654321") == "+5511987654321"


def test_a_user_who_is_not_a_customer_may_not_look_up(make_user, client_for) -> None:
    staff = client_for(make_user(staff=True))
    for response in (look(staff, "x@example.com"), pay(staff, f"E{settings.DICT_ISPB}202501011200abcdefGHIJ1")):
        assert (response.status_code, response.json()["code"]) == (403, "Forbidden")


def test_lookups_need_a_token(client) -> None:
    anonymous = client
    for response in (look(anonymous, "x@example.com"), pay(anonymous, "E1")):
        assert (response.status_code, response.json()["code"]) == (401, "Unauthorized")


@pytest.fixture
def take_directory_down(settings):
    """Point Connect over gRPC at a closed port: every directory call then fails as unreachable."""

    def down() -> None:
        settings.CONNECT_URL = "127.0.0.1:1"
        settings.CONNECT_RETRY_ATTEMPTS = 1
        get_client.cache_clear()

    yield down
    get_client.cache_clear()


@pytest.mark.django_db(transaction=True)  # register_here
def test_directory_down_is_503_but_our_own_keys_still_resolve(make_account, client_for, take_directory_down) -> None:
    owner = make_account()
    register_here(client_for(owner.holder.user), owner, "here@example.com")
    take_directory_down()
    payer = client_for(make_account().holder.user)
    down = look(payer, "elsewhere@example.com")
    assert (down.status_code, down.json()["code"]) == (503, "ServiceUnavailable")
    assert look(payer, "here@example.com").status_code == 200


@pytest.fixture
def directory_breaker_open(settings, take_directory_down):
    """Connect over gRPC with its breaker open: every directory call is refused before it is sent."""
    settings.CONNECT_BREAKER_MIN_CALLS = 1
    settings.CONNECT_BREAKER_OPEN_SEC = 60
    take_directory_down()
    with pytest.raises(ServiceUnavailable) as failed:  # one call that fails for real opens the breaker
        get_client().get_entry(key="x@example.com", payer_id=new_cpf(), end_to_end_id=f"E{settings.DICT_ISPB}1")
    assert not isinstance(failed.value, DirectoryNotAsked)
    yield
    get_client().adapter.close()


def test_a_lookup_the_breaker_refused_costs_the_payer_nothing(make_account, client_for, directory_breaker_open) -> None:
    """DICT never saw the lookup (DirectoryNotAsked): the whole 404 reservation comes back."""
    payer = make_account()
    before = tokens_left(payer.holder)
    refused = look(client_for(payer.holder.user), unknown_email())
    assert (refused.status_code, refused.json()["code"]) == (503, "ServiceUnavailable")
    assert tokens_left(payer.holder) == before


@pytest.fixture
def redis_lost_once_the_directory_answers(monkeypatch):
    """The lookup's second script (the give-back) goes to a closed port (a real client, failing for real)
    right after the in-process directory answers; call the fixture's value to bring it back."""
    store = get_lookup_store()
    original_entry, original_finish = LocalDirectoryClient.get_entry, store._finish

    def answer_then_lose_redis(self, **kwargs):
        entry = original_entry(self, **kwargs)
        dead = Redis(port=1, socket_connect_timeout=0.5)
        monkeypatch.setattr(store, "_finish", dead.register_script(FINISH_LUA))
        return entry

    monkeypatch.setattr(LocalDirectoryClient, "get_entry", answer_then_lose_redis)
    get_client.cache_clear()  # the process's client binds the adapter's methods when built
    yield lambda: monkeypatch.setattr(store, "_finish", original_finish)
    get_client.cache_clear()


def test_a_found_answer_survives_a_give_back_redis_refuses(
    make_account, client_for, caplog, redis_lost_once_the_directory_answers
) -> None:
    """Redis fails once DICT has answered: the payer still gets the answer (keeping the 404's price)."""
    at_other_psp("EMAIL", "found@example.com")
    payer = make_account()
    with caplog.at_level(logging.WARNING, logger="lookup"):
        response = look(client_for(payer.holder.user), "found@example.com")
    assert response.status_code == 200
    [warning] = [
        r.getMessage()
        for r in caplog.records
        if r.pathname.endswith("lookup/services.py") and r.levelno >= logging.WARNING
    ]
    assert response.json()["end_to_end_id"] in warning and f"#{payer.holder.pk}" in warning
    assert "@example.com" not in warning and payer.holder.tax_id not in warning
    redis_lost_once_the_directory_answers()  # Redis is back
    assert tokens_left(payer.holder)[0] == settings.LOOKUP_PAYER_NATURAL_CAPACITY - PAYER_COST.not_found


def test_logs_never_carry_the_key_or_a_tax_id(make_account, client_for, caplog) -> None:
    cpf = new_cpf()
    at_other_psp("EMAIL", "private@example.com", tax_id=cpf)
    payer = make_account()
    client = client_for(payer.holder.user)
    with caplog.at_level(logging.DEBUG, logger="lookup"):
        e2e = look(client, "private@example.com").json()["end_to_end_id"]
        look(client, unknown_email())
        pay(client, e2e)
    messages = [r.getMessage() for r in caplog.records if r.pathname.endswith("lookup/services.py")]
    assert len(messages) == 3
    assert not [m for m in messages if "@example.com" in m or cpf in m or payer.holder.tax_id in m]


def test_redis_down_is_503_with_a_problem_not_a_500(make_account, client_for, redis_unreachable) -> None:
    response = look(client_for(make_account().holder.user), unknown_email())
    assert (response.status_code, response.json()["code"]) == (503, "ServiceUnavailable")
    assert "Traceback" not in response.content.decode()


def test_an_unknown_psp_category_fails_the_system_checks(settings) -> None:
    assert [m.id for m in run_checks() if m.id.startswith("lookup.")] == []
    settings.LOOKUP_PSP_CATEGORY = "Z"
    [error] = [m for m in run_checks() if m.id.startswith("lookup.")]
    assert (error.id, error.level) == ("lookup.E001", ERROR)
    assert "'Z'" in error.msg


@pytest.mark.parametrize("trade_name", [None, "Loja"])
def test_a_customers_answer_renders_exactly_as_lookup_out_declares(trade_name) -> None:
    """The hot path renders without building LookupOut (lookup.serializers.customer_answer); the bytes are its."""
    answer = LookupAnswer(
        key="loja@example.com",
        key_type=KeyType.EMAIL,
        person_type=PersonType.LEGAL_PERSON if trade_name else PersonType.NATURAL_PERSON,
        name="Loja Ltda",
        trade_name=trade_name,
        tax_id="***.456.789-**",
        ispb=OTHER_PSP,
        end_to_end_id="E12345678202611300000abcdefghijk",
    )
    assert JSONRenderer().render(customer_answer(answer)) == JSONRenderer().render(LookupOut(answer).data)

"""Staff without accounts.view_pii can neither filter nor search on PII (no yes/no oracle), and the user admin masks."""

import logging

import pytest
from django.urls import reverse

from common.logging import MaskingFormatter, MaskingJsonFormatter, MaskPiiFilter, RequestIdFilter
from tests.factories import claim_on_our_key, owner_of

pytestmark = pytest.mark.django_db

VIEW = ("accounts.view_holder", "accounts.view_account", "keys.view_entry", "events.view_domainevent", "auth.view_user")
ENTRIES = reverse("admin:keys_entry_changelist")
HOLDERS = reverse("admin:accounts_holder_changelist")
ACCOUNTS = reverse("admin:accounts_account_changelist")
EVENTS = reverse("admin:events_domainevent_changelist")
USERS = reverse("admin:auth_user_changelist")
PORTABILITIES = reverse("admin:portability_portability_changelist")


@pytest.fixture
def entry(make_account, make_entry):
    account = make_account()
    return make_entry(account, "CPF", account.holder.tax_id)


def oracle_queries(entry) -> list[tuple[str, dict[str, str]]]:
    cpf = entry.account.holder.tax_id
    return [
        (HOLDERS, {"tax_id__startswith": cpf[:5]}),
        (HOLDERS, {"name__startswith": "Maria"}),
        (HOLDERS, {"name__icontains": "silva"}),
        (HOLDERS, {"user__username__startswith": "user-"}),
        (ACCOUNTS, {"holder__tax_id__startswith": cpf[:5]}),
        (ACCOUNTS, {"holder__name__startswith": "M"}),
        (ENTRIES, {"key_value__startswith": cpf[:5]}),
        (ENTRIES, {"account__holder__tax_id__startswith": cpf[:5]}),
        (ENTRIES, {"account__holder__name__startswith": "M"}),
        (EVENTS, {"payload__key_value__startswith": cpf[:5]}),
        (USERS, {"email__startswith": "a"}),
        (USERS, {"username__startswith": "user-"}),
        (USERS, {"first_name__startswith": "A"}),
    ]


def test_filtering_on_pii_is_refused_without_view_pii(client, make_staff, entry) -> None:
    client.force_login(make_staff(*VIEW))
    for url, params in oracle_queries(entry):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)
    # Filters on what is not PII still work.
    assert client.get(ENTRIES, {"key_type__exact": "CPF"}).context["cl"].result_count == 1
    assert client.get(HOLDERS, {"person_type__exact": "NATURAL_PERSON"}).status_code == 200


def test_staff_with_view_pii_may_filter_and_search_on_pii(client, make_staff, entry) -> None:
    cpf = entry.account.holder.tax_id
    client.force_login(make_staff(*VIEW, "accounts.view_pii"))
    statuses = {next(iter(params)): client.get(url, params).status_code for url, params in oracle_queries(entry)}
    # Django itself refuses lookups across two relations that no list_filter names.
    django_refuses = {"user__username__startswith", "account__holder__tax_id__startswith"}
    django_refuses |= {"account__holder__name__startswith", "holder__tax_id__startswith", "holder__name__startswith"}
    assert statuses == {lookup: 400 if lookup in django_refuses else 200 for lookup in statuses}
    assert list(client.get(ENTRIES, {"key_value__startswith": cpf[:5]}).context["cl"].result_list) == [entry]
    assert list(client.get(ENTRIES, {"q": cpf}).context["cl"].result_list) == [entry]
    assert list(client.get(HOLDERS, {"q": cpf}).context["cl"].result_list) == [entry.account.holder]


def test_search_on_pii_answers_nothing_without_view_pii(client, make_staff, entry, make_account) -> None:
    cpf = entry.account.holder.tax_id
    make_account()  # a second holder, so "all rows" and "the match" differ
    client.force_login(make_staff(*VIEW))
    for url, query in ((ENTRIES, cpf), (HOLDERS, cpf), (ACCOUNTS, cpf), (USERS, entry.account.holder.user.username)):
        page = client.get(url, {"q": query})
        assert page.status_code == 200
        # The same answer for a value we hold and for one we do not: no yes/no.
        assert page.context["cl"].result_count == client.get(url, {"q": "00000000000"}).context["cl"].result_count
    assert list(client.get(ENTRIES, {"q": cpf}).context["cl"].result_list) == []
    # Non-PII fields stay searchable.
    account = entry.account
    assert list(client.get(ENTRIES, {"q": f"{account.branch} {account.number}"}).context["cl"].result_list) == [entry]


def test_claim_key_is_neither_filter_nor_search_without_view_pii(client, make_staff, entry) -> None:
    from claims.models import Claim
    from claims.services import claims_poll

    remote = claim_on_our_key(entry, "PORTABILITY", owner_of(entry.account))
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    client.force_login(make_staff("claims.view_ownershipclaim", "portability.view_portability"))
    assert client.get(PORTABILITIES, {"key__startswith": claim.key[:5]}).status_code == 400
    assert list(client.get(PORTABILITIES, {"q": claim.key}).context["cl"].result_list) == []
    assert list(client.get(PORTABILITIES, {"q": str(remote.id)}).context["cl"].result_list) == [claim]


def test_user_admin_masks_names_and_emails_without_view_pii(client, make_staff, make_user) -> None:
    person = make_user("alice.souza@example.com")
    person.first_name, person.last_name, person.email = "Alice", "Souza", "alice.souza@example.com"
    person.save()
    client.force_login(make_staff(*VIEW))
    pages = [
        client.get(reverse(view, args=args)).content.decode()
        for view, args in (
            ("admin:auth_user_changelist", []),
            ("admin:auth_user_change", [person.pk]),
            ("admin:auth_user_history", [person.pk]),
        )
    ]
    for html in pages:
        assert "alice.souza@example.com" not in html
        assert "Souza" not in html and ">Alice<" not in html
        assert "a***@example.com" in html  # the e-mail column, and the login name in titles
    assert "S***" in pages[0] and "S***" in pages[1]
    # The password page needs the change permission; its title, breadcrumbs and the hidden
    # username field for password managers name the user.
    client.force_login(make_staff(*VIEW, "auth.change_user"))
    password_page = client.get(reverse("admin:auth_user_password_change", args=[person.pk]))
    assert password_page.status_code == 200
    html = password_page.content.decode()
    assert "alice.souza" not in html
    assert "Change password: a***@example.com" in html
    client.force_login(make_staff(*VIEW, "auth.change_user", "accounts.view_pii"))
    assert (
        "Change password: alice.souza@example.com"
        in client.get(reverse("admin:auth_user_password_change", args=[person.pk])).content.decode()
    )
    client.force_login(make_staff(*VIEW, "accounts.view_pii"))
    assert "alice.souza@example.com" in client.get(USERS).content.decode()


class _Recorder(logging.Handler):
    """The records reaching the root logger, and each as both of our formatters write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.addFilter(RequestIdFilter())
        self.addFilter(MaskPiiFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines += [formatter.format(record) for formatter in (MaskingFormatter(), MaskingJsonFormatter())]


def test_a_refused_pii_filter_is_logged_without_its_value_and_without_a_traceback(client, make_staff, entry) -> None:
    """Django logs the refusal (DisallowedModelAdminLookup) with the request: not its query string."""
    cpf_prefix = entry.account.holder.tax_id[:5]
    client.force_login(make_staff(*VIEW))
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        assert client.get(HOLDERS, {"name__startswith": "Mariazinha"}).status_code == 400
        assert client.get(HOLDERS, {"tax_id__startswith": cpf_prefix}).status_code == 400
    finally:
        logging.getLogger().removeHandler(recorder)

    refusals = [r for r in recorder.records if r.name == "django.security.DisallowedModelAdminLookup"]
    assert len(refusals) == 2
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in refusals)
    assert recorder.lines
    for line in recorder.lines:
        assert "Mariazinha" not in line and f"={cpf_prefix}" not in line and "?" not in line, line
    assert any("GET '/admin/accounts/holder/'" in line for line in recorder.lines)

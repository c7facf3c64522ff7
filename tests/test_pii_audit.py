"""LGPD audit trail: every sight of PII in clear in the admin leaves one row per user, object and day."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import PiiView
from keys.models import Entry

pytestmark = pytest.mark.django_db

ENTRIES = reverse("admin:keys_entry_changelist")
AUDIT = reverse("admin:audit_piiview_changelist")
VIEW = ("keys.view_entry", "accounts.view_holder", "accounts.view_account")
PII = ("accounts.view_pii",)


def change_url(obj: object) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def audit_rows() -> list[tuple[int, str, str, str]]:
    return sorted(PiiView.objects.values_list("user_id", "content_type__model", "object_id", "screen"))


def test_a_change_page_seen_with_view_pii_is_recorded_once_a_day(client, make_staff, make_account, make_entry) -> None:
    entry = make_entry(make_account(), "EMAIL", "maria.souza@example.com")
    viewer = make_staff(*VIEW, *PII)
    client.force_login(viewer)
    page = client.get(change_url(entry))
    assert page.status_code == 200
    assert "maria.souza@example.com" in page.content.decode()
    row = PiiView.objects.get()
    assert (row.user, row.content_type, row.object_id) == (
        viewer,
        ContentType.objects.get_for_model(Entry),
        str(entry.pk),
    )
    assert (row.viewed_on, row.screen) == (timezone.localdate(), "change")
    # Reloads, and the same entry on a changelist, the same day: still in clear, and no new row.
    for url in (change_url(entry), change_url(entry), ENTRIES):
        assert "maria.souza@example.com" in client.get(url).content.decode()
    assert PiiView.objects.get() == row


def test_a_changelist_records_the_rows_shown_on_its_page_only(
    client, make_staff, make_account, make_entry, monkeypatch
) -> None:
    account = make_account()
    entries = [make_entry(account) for _ in range(3)]
    monkeypatch.setattr(admin.site.get_model_admin(Entry), "list_per_page", 2)
    viewer = make_staff(*VIEW, *PII)
    client.force_login(viewer)
    first_page = client.get(ENTRIES)
    shown = {str(entry.pk) for entry in first_page.context["cl"].result_list}
    assert len(shown) == 2
    assert audit_rows() == sorted((viewer.pk, "entry", pk, "changelist") for pk in shown)
    assert client.get(ENTRIES).status_code == 200  # a reload
    assert len(audit_rows()) == 2
    client.get(ENTRIES, {"p": 2})
    assert audit_rows() == sorted((viewer.pk, "entry", str(entry.pk), "changelist") for entry in entries)


def test_nothing_is_recorded_for_staff_who_see_pii_masked(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    entry = make_entry(account, "CPF", account.holder.tax_id)
    pages = (ENTRIES, change_url(entry), change_url(account.holder), change_url(account))
    client.force_login(make_staff(*VIEW))
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200
        assert account.holder.tax_id not in page.content.decode()
    assert audit_rows() == []
    # The same pages in clear are recorded (so the empty trail above is not for want of recording).
    viewer = make_staff(*VIEW, *PII)
    client.force_login(viewer)
    for url in pages:
        assert client.get(url).status_code == 200
    assert [(user, model) for user, model, _, _ in audit_rows()] == [
        (viewer.pk, "account"),
        (viewer.pk, "entry"),
        (viewer.pk, "holder"),
    ]


def test_an_audit_row_holds_no_pii(client, make_staff, make_user, make_account, make_entry) -> None:
    account = make_account()
    cpf, name = account.holder.tax_id, account.holder.name
    cpf_entry = make_entry(account, "CPF", cpf)
    make_entry(account, "EMAIL", "maria.souza@example.com")
    client.force_login(make_user(superuser=True))  # superusers hold view_pii implicitly
    holders = reverse("admin:accounts_holder_changelist")
    for url in (ENTRIES, change_url(cpf_entry), change_url(account.holder), holders, change_url(account)):
        assert client.get(url).status_code == 200
    rows = list(PiiView.objects.all())
    assert len(rows) == 4  # the two entries, the holder, the account
    for row in rows:
        values = [str(field.value_from_object(row)) for field in PiiView._meta.concrete_fields] + [str(row)]
        for value in values:
            assert cpf not in value and "maria.souza@example.com" not in value and name not in value


def test_a_failed_audit_renders_the_page_masked(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    cpf = account.holder.tax_id
    entry = make_entry(account, "CPF", cpf)
    client.force_login(make_staff(*VIEW, *PII))
    with connection.cursor() as cursor:  # a real failure to write (undone with the test's transaction)
        cursor.execute("ALTER TABLE audit_piiview RENAME TO audit_piiview_gone")
    masked_cpf = f"***.{cpf[3:6]}.{cpf[6:9]}-**"
    for url, masked in ((change_url(entry), masked_cpf), (ENTRIES, masked_cpf), (change_url(account.holder), "M*** d")):
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 200
        assert cpf not in html and account.holder.name not in html
        assert masked in html
        messages = [m.message for m in get_messages(page.wsgi_request)]
        assert messages == ["PII is masked: this view could not be recorded in the audit trail."]


def test_the_audit_admin_is_read_only_and_filters_by_staff_user_and_day(
    client, make_staff, make_user, make_account, make_entry
) -> None:
    entry = make_entry(make_account())
    ana = make_staff(*VIEW, *PII)
    ana.username = "ana.compliance@psp.example"
    ana.save()
    bruno = make_staff(*VIEW, *PII)
    for viewer in (ana, bruno):
        client.force_login(viewer)
        client.get(change_url(entry))
    yesterday = timezone.localdate() - timedelta(days=1)
    PiiView.objects.filter(user=bruno).update(viewed_on=yesterday)
    ana_row, bruno_row = PiiView.objects.get(user=ana), PiiView.objects.get(user=bruno)

    client.force_login(make_staff("audit.view_piiview"))  # an auditor: no view_pii needed
    listed = client.get(AUDIT)
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [ana_row, bruno_row]
    assert "ana.compliance@psp.example" not in listed.content.decode()  # a login name shown as in the logs
    assert "a***@psp.example" in listed.content.decode()
    assert list(client.get(AUDIT, {"staff": bruno.pk}).context["cl"].result_list) == [bruno_row]
    day = {"viewed_on__gte": str(yesterday), "viewed_on__lt": str(timezone.localdate())}
    assert list(client.get(AUDIT, day).context["cl"].result_list) == [bruno_row]
    assert list(client.get(AUDIT, {"q": str(entry.pk)}).context["cl"].result_list) == [ana_row, bruno_row]
    assert "delete_selected" not in listed.content.decode()

    for user in (make_staff("audit.view_piiview"), make_user(superuser=True)):
        client.force_login(user)
        page = client.get(change_url(ana_row))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get(reverse("admin:audit_piiview_add")).status_code == 403
        assert client.post(change_url(ana_row), {"object_id": "1"}).status_code == 403
        delete = reverse("admin:audit_piiview_delete", args=[ana_row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        changelist = client.post(AUDIT, {"action": "delete_selected", "_selected_action": [ana_row.pk]})
        assert changelist.status_code == 200  # no delete action to run
    assert list(PiiView.objects.order_by("user_id").values_list("pk", "object_id")) == [
        (ana_row.pk, str(entry.pk)),
        (bruno_row.pk, str(entry.pk)),
    ]
    client.force_login(make_staff(*VIEW, *PII))  # staff without the audit's view permission
    assert client.get(AUDIT).status_code == 403


def test_a_page_refused_to_its_viewer_is_not_a_view(client, make_staff, make_account, make_entry) -> None:
    """view_pii without the entry's view permission: Django answers 403, and the trail says nothing was seen."""
    entry = make_entry(make_account(), "EMAIL", "maria.souza@example.com")
    client.force_login(make_staff(*PII))
    assert client.get(change_url(entry)).status_code == 403
    assert audit_rows() == []


def test_a_hand_typed_staff_filter_is_the_clients_mistake(client, make_staff) -> None:
    client.force_login(make_staff("audit.view_piiview"))
    page = client.get(AUDIT, {"staff": "abc"})
    assert page.status_code == 302 and page.url.endswith("?e=1")  # Django's "bad filter" page, not a 500


def test_the_user_admins_history_and_password_pages_are_audited_in_clear(client, make_staff, make_user) -> None:
    """Both pages name the user by its login name (a CPF or an e-mail for holders)."""
    holder_login = make_user("52998224725")
    history = reverse("admin:auth_user_history", args=[holder_login.pk])
    password = reverse("admin:auth_user_password_change", args=[holder_login.pk])
    client.force_login(make_staff("auth.view_user", "auth.change_user"))
    for url in (history, password):
        page = client.get(url)
        assert page.status_code == 200 and "52998224725" not in page.content.decode()
    assert audit_rows() == []
    viewer = make_staff("auth.view_user", "auth.change_user", *PII)
    client.force_login(viewer)
    for url in (history, password):
        page = client.get(url)
        assert page.status_code == 200 and "52998224725" in page.content.decode()
    assert audit_rows() == [(viewer.pk, "user", str(holder_login.pk), "change")]

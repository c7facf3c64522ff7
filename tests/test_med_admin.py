"""The fraud team's back-office for MED: every page opens, the queues list what is due (and the staff home page
counts and links them), staff actions go through the services (med.manage_infractions checked again) and say
why when they cannot run, each object shows its event timeline, PII is masked (free text withheld) for staff
without accounts.view_pii and audited for staff with it, and markers are found by any spelling of a tax id."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import PiiView
from backoffice.roles import FRAUD_TEAM
from dict_rules.med import RefundRequest
from med.models import FraudMarker, InfractionReport, Refund
from med.services import marker_create, med_poll, report_close
from tests.med_support import other_psp, paid_to_our_customer, reported_by_other_psp

pytestmark = pytest.mark.django_db

VIEW = ("med.view_infractionreport", "med.view_refund", "med.view_fraudmarker")
REPORTS = reverse("admin:med_infractionreport_changelist")
REFUNDS = reverse("admin:med_refund_changelist")


def incoming_report(make_account, make_entry) -> InfractionReport:
    """A report the other PSP opened on our customer's received payment, polled (and so acknowledged)."""
    tx = paid_to_our_customer(make_entry(make_account()))
    reported_by_other_psp(tx)
    med_poll()
    return InfractionReport.objects.get(transaction_id=tx)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_a_superuser_opens_every_med_page(client, make_user, make_account, make_entry) -> None:
    superuser = make_user(superuser=True)
    account = make_account()
    entry = make_entry(account)
    report = incoming_report(make_account, make_entry)
    report_close(user=superuser, report_id=report.pk, analysis_result="AGREED", fraud_type="MULE_ACCOUNT")
    other_psp().create_refund(RefundRequest(report.transaction_id, "FRAUD", Decimal("100.00")))
    med_poll()
    marker_create(
        user=superuser, tax_id=account.holder.tax_id, fraud_type="OTHER", key=entry.key_value, request_id=uuid.uuid4()
    )
    client.force_login(superuser)
    for model in (InfractionReport, Refund, FraudMarker):
        prefix = f"admin:med_{model._meta.model_name}"
        pk = model.objects.get().pk
        pages = (
            client.get(reverse(f"{prefix}_changelist")).status_code,
            client.get(reverse(f"{prefix}_change", args=[pk])).status_code,
            client.get(reverse(f"{prefix}_history", args=[pk])).status_code,
            client.get(reverse(f"{prefix}_add")).status_code,
        )
        assert (model.__name__, pages) == (model.__name__, (200, 200, 200, 403))


def test_the_queue_lists_reports_to_analyse_and_the_staff_home_links_it(
    client, make_staff, make_account, make_entry
) -> None:
    report = incoming_report(make_account, make_entry)
    client.force_login(make_staff(*VIEW))
    queue = client.get(REPORTS, {"queue": "to_analyse"})
    assert queue.status_code == 200
    assert [row.pk for row in queue.context["cl"].result_list] == [report.pk]
    assert [row.pk for row in client.get(REPORTS, {"queue": "awaiting_refund"}).context["cl"].result_list] == []
    assert client.get(REPORTS, {"queue": "soon"}).status_code == 302  # Django's ?e=1 for a bad filter, not a 500

    home = client.get(reverse("admin:index"))
    tallies = {tally.label: (tally.count, tally.url) for tally in home.context["home"].med}
    assert tallies["Reports to analyse, due within 24 h"] == (0, f"{REPORTS}?queue=analysis_due")
    assert tallies["Refunds asked of us, to answer"] == (0, f"{REFUNDS}?queue=to_answer")
    assert b'id="med-due"' in home.content


def test_staff_close_a_report_through_the_service_and_its_timeline_shows_it(
    client, make_staff, make_account, make_entry
) -> None:
    report = incoming_report(make_account, make_entry)
    staff = make_staff()
    staff.groups.add(Group.objects.get(name=FRAUD_TEAM))  # the role grants the lists, the actions and PII
    client.force_login(staff)
    action = {"action": "close", "_selected_action": [str(report.pk)], "index": 0}
    refused = client.post(REPORTS, action | {"analysis_result": "DISAGREED"})  # says why: refused, row unchanged
    assert messages_of(refused)[0][0] == "error"
    assert InfractionReport.objects.get(pk=report.pk).status == "ACKNOWLEDGED"

    response = client.post(REPORTS, action | {"analysis_result": "AGREED", "fraud_type": "MULE_ACCOUNT"})
    assert response.status_code == 302
    assert messages_of(response)[-1] == ("success", "1 infraction reports closed.")
    report.refresh_from_db()
    assert (report.status, report.analysis_result, report.fraud_type) == ("CLOSED", "AGREED", "MULE_ACCOUNT")
    page = client.get(reverse("admin:med_infractionreport_change", args=[report.pk])).content.decode()
    for event in ("InfractionReportReceived", "InfractionReportAcknowledged", "InfractionReportClosed"):
        assert event in page
    assert staff.username in page  # the actor of the close


def test_staff_without_the_fraud_teams_permission_cannot_act(client, make_staff, make_account, make_entry) -> None:
    report = incoming_report(make_account, make_entry)
    client.force_login(make_staff(*VIEW))
    assert client.get(REPORTS).context["action_form"] is None  # every MED action needs the permission
    close = {"action": "close", "_selected_action": [str(report.pk)], "index": 0}
    client.post(REPORTS, close | {"analysis_result": "AGREED", "fraud_type": "MULE_ACCOUNT"})  # fine with it
    assert InfractionReport.objects.get(pk=report.pk).status == "ACKNOWLEDGED"


def test_contacts_and_free_text_are_masked_without_view_pii(client, make_staff, make_account, make_entry) -> None:
    report = incoming_report(make_account, make_entry)
    change = reverse("admin:med_infractionreport_change", args=[report.pk])
    client.force_login(make_staff(*VIEW))
    masked = client.get(change).content.decode()
    assert report.contact_email not in masked and report.contact_phone not in masked
    assert "f***@outro.example" in masked and "+5511*******00" in masked
    client.force_login(make_staff(*VIEW, "accounts.view_pii"))
    clear = client.get(change).content.decode()
    assert report.contact_email in clear and report.report_details in clear


MARKERS = reverse("admin:med_fraudmarker_changelist")


def fraud_staff(make_staff, *perms: str):
    """A staff member of the Fraud team role (the lists, the actions and PII in clear)."""
    staff = make_staff(*perms)
    staff.groups.add(Group.objects.get(name=FRAUD_TEAM))
    return type(staff).objects.get(pk=staff.pk)


def test_free_text_is_withheld_without_view_pii_and_recorded_when_seen(
    client, make_staff, make_user, make_account, make_entry
) -> None:
    """Masking finds no name or phone written in words, so free text is withheld whole without view_pii."""
    report = incoming_report(make_account, make_entry)
    report_close(
        user=make_user(superuser=True),
        report_id=report.pk,
        analysis_result="DISAGREED",
        analysis_details="a Joana confirmou o pagamento, fone seis um nove",
    )
    details = "devolver para o Joao Pedro, ligar 61 9 8888 7777"
    other_psp().create_refund(RefundRequest(report.transaction_id, "OPERATIONAL_FLAW", Decimal("10.00"), details))
    med_poll()
    report.refresh_from_db()
    refund = Refund.objects.get()
    pages = {
        report.pk: reverse("admin:med_infractionreport_change", args=[report.pk]),
        refund.pk: reverse("admin:med_refund_change", args=[refund.pk]),
    }
    texts = (report.report_details, report.analysis_details, refund.details)

    client.force_login(make_staff(*VIEW))
    for url in pages.values():
        page = client.get(url).content.decode()
        assert not [text for text in texts if text in page]
        assert "withheld: needs view_pii" in page
    assert not PiiView.objects.exists()

    viewer = make_staff(*VIEW, "accounts.view_pii")
    client.force_login(viewer)
    shown = "".join(client.get(url).content.decode() for url in pages.values())
    assert [text for text in texts if text in shown] == list(texts)
    assert sorted(PiiView.objects.values_list("user_id", "object_id", "screen")) == sorted(
        (viewer.pk, str(pk), "change") for pk in pages
    )


def test_a_marker_is_found_by_its_tax_id_or_key_however_spelled(
    client, make_staff, make_user, make_account, make_entry
) -> None:
    account = make_account()
    entry = make_entry(account, "EMAIL", "Fraude.Marcada@example.com".lower())
    marker, _ = marker_create(
        user=make_user(superuser=True),
        tax_id=account.holder.tax_id,
        key=entry.key_value,
        fraud_type="MULE_ACCOUNT",
        request_id=uuid.uuid4(),
    )
    cpf = account.holder.tax_id
    spellings = (cpf, f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}", "FRAUDE.MARCADA@example.com")
    client.force_login(make_staff("med.view_fraudmarker", "accounts.view_pii"))
    for q in spellings:
        assert (q, [row.pk for row in client.get(MARKERS, {"q": q}).context["cl"].result_list]) == (q, [marker.pk])
    client.force_login(make_staff("med.view_fraudmarker"))  # without view_pii, no PII is searchable
    assert list(client.get(MARKERS, {"q": cpf}).context["cl"].result_list) == []


def test_an_action_that_cannot_run_as_posted_says_why_and_does_nothing(
    client, make_staff, make_account, make_entry
) -> None:
    report = incoming_report(make_account, make_entry)
    client.force_login(fraud_staff(make_staff))
    close = {"action": "close", "index": 0, "analysis_result": "DISAGREED"}

    not_an_id = client.post(REPORTS, close | {"_selected_action": ["not-a-uuid"], "details": "no fraud"})
    assert not_an_id.status_code == 302
    assert messages_of(not_an_id) == [("error", "The selection holds a value that is no row id; nothing was done.")]

    too_long = client.post(REPORTS, close | {"_selected_action": [str(report.pk)], "details": "x" * 2001})
    assert too_long.status_code == 302
    assert messages_of(too_long)[-1] == (
        "error",
        "details: Ensure this value has at most 2000 characters (it has 2001). Nothing was done.",
    )
    assert InfractionReport.objects.get(pk=report.pk).status == "ACKNOWLEDGED"

"""MED's REST API under /api/v1/med/: only the fraud team (med.manage_infractions) may call it, lists are keyset
pages, creates answer 201 and say when they replay, actions are POST sub-resources, an update is partial, every
answer showing PII is in the audit trail, and a retry waits (Retry-After) or finishes a call that died. The same
use cases over gRPC, with the same answers, are in tests/test_parity.py (med_fraud_team) and test_med_grpc.py."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import PiiView
from connect.client import get_client
from connect.local import LocalDirectoryClient
from dict_rules.errors import BadRequest, ServiceUnavailable
from med import selectors
from med.models import InfractionReport
from med.services import med_poll
from tests.med_support import CONTACT, fraud_team, paid_by_our_customer, paid_to_our_customer, reported_by_other_psp

pytestmark = pytest.mark.django_db

BASE = "/api/v1/med/"


@pytest.fixture
def analyst(make_user):
    return fraud_team(make_user())


def open_body(tx: str, **overrides) -> dict:
    return {"transaction_id": tx, "situation_type": "SCAM", "request_id": str(uuid.uuid4()), **CONTACT, **overrides}


def test_customers_and_staff_without_the_permission_are_refused_everywhere(
    make_account, make_staff, client_for
) -> None:
    row_id = uuid.uuid4()
    calls = [
        ("get", "infraction-reports/"),
        ("post", "infraction-reports/"),
        ("get", f"infraction-reports/{row_id}/"),
        ("post", f"infraction-reports/{row_id}/update/"),
        ("post", f"infraction-reports/{row_id}/acknowledge/"),
        ("post", f"infraction-reports/{row_id}/close/"),
        ("post", f"infraction-reports/{row_id}/cancel/"),
        ("get", "refunds/"),
        ("post", "refunds/"),
        ("get", f"refunds/{row_id}/"),
        ("post", f"refunds/{row_id}/close/"),
        ("post", f"refunds/{row_id}/cancel/"),
        ("get", "fraud-markers/"),
        ("post", "fraud-markers/"),
        ("get", f"fraud-markers/{row_id}/"),
        ("post", f"fraud-markers/{row_id}/cancel/"),
    ]
    bodies = {"infraction-reports/": open_body("E" + "1" * 31), "refunds/": {"request_id": str(uuid.uuid4())}}
    bodies["fraud-markers/"] = {"request_id": str(uuid.uuid4())}
    for user in (make_account().holder.user, make_staff("med.view_infractionreport")):
        client = client_for(user)
        for method, path in calls:
            response = getattr(client, method)(BASE + path, bodies.get(path, {}), format="json")
            assert (path, response.status_code, response.json()["code"]) == (path, 403, "Forbidden")


def test_the_fraud_team_reports_lists_and_replays(make_account, analyst, client_for) -> None:
    client = client_for(analyst)
    account = make_account()
    body = open_body(paid_by_our_customer(account))
    created = client.post(BASE + "infraction-reports/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["status"], created.json()["role"], created.has_header("Idempotent-Replayed")) == (
        "OPEN",
        "REPORTER",
        False,
    )
    again = client.post(BASE + "infraction-reports/", body, format="json")
    assert (again.status_code, again["Idempotent-Replayed"], again.json()["id"]) == (201, "true", created.json()["id"])
    for _ in range(2):
        client.post(BASE + "infraction-reports/", open_body(paid_by_our_customer(account)), format="json")

    first = client.get(BASE + "infraction-reports/", {"page_size": 2, "role": "REPORTER"})
    assert first.status_code == 200
    second = client.get(first.json()["next"])
    ids = [r["id"] for r in first.json()["results"] + second.json()["results"]]
    assert len(ids) == len(set(ids)) == 3 and second.json()["next"] is None
    assert ids[-1] == created.json()["id"]  # newest first
    bad = client.get(BASE + "infraction-reports/", {"status": "DONE"})
    assert (bad.status_code, bad.json()["code"]) == (400, "BadRequest")

    report_id = created.json()["id"]
    update = {"situation_type": "OTHER", "report_details": "the payer was coerced", **CONTACT}
    updated = client.post(BASE + f"infraction-reports/{report_id}/update/", update, format="json")
    assert (updated.status_code, updated.json()["situation_type"]) == (200, "OTHER")
    assert client.get(BASE + f"infraction-reports/{uuid.uuid4()}/").status_code == 404
    cancelled = client.post(BASE + f"infraction-reports/{report_id}/cancel/", format="json")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELLED")
    refused = client.post(BASE + f"infraction-reports/{report_id}/update/", update, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "InfractionReportOperationInvalid")


def test_the_fraud_team_answers_an_incoming_report_and_marks_the_customer(
    make_account, make_entry, analyst, client_for
) -> None:
    client = client_for(analyst)
    account = make_account()
    entry = make_entry(account)
    tx = paid_to_our_customer(entry)
    reported_by_other_psp(tx)
    med_poll()
    report = InfractionReport.objects.get(transaction_id=tx)
    path = BASE + f"infraction-reports/{report.pk}/"
    withdrawn = client.post(path + "cancel/", format="json")  # only the reporter withdraws it
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (409, "InfractionReportOperationInvalid")
    acknowledged = client.post(path + "acknowledge/", format="json")  # done by the poll: the same answer
    assert (acknowledged.status_code, acknowledged.json()["status"]) == (200, "ACKNOWLEDGED")
    closed = client.post(path + "close/", {"analysis_result": "AGREED", "fraud_type": "MULE_ACCOUNT"}, format="json")
    assert (closed.status_code, closed.json()["status"], closed.json()["fraud_type"]) == (200, "CLOSED", "MULE_ACCOUNT")

    body = {"tax_id": account.holder.tax_id, "key": entry.key_value, "fraud_type": "MULE_ACCOUNT"}
    marker = client.post(BASE + "fraud-markers/", body | {"request_id": str(uuid.uuid4())}, format="json")
    assert (marker.status_code, marker.json()["status"], marker.json()["key"]) == (201, "REGISTERED", entry.key_value)
    cancelled = client.post(BASE + f"fraud-markers/{marker.json()['id']}/cancel/", format="json")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELLED")
    listed = client.get(BASE + "fraud-markers/", {"status": "CANCELLED"})
    assert [m["id"] for m in listed.json()["results"]] == [marker.json()["id"]]


def test_strict_input_never_reaches_the_domain(analyst, client_for) -> None:
    client = client_for(analyst)
    unknown = client.post(BASE + "refunds/", {"request_id": str(uuid.uuid4()), "extra": "x"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "BadRequest")
    control = client.post(BASE + "fraud-markers/", {"request_id": str(uuid.uuid4()), "tax_id": "1\x00"}, format="json")
    assert (control.status_code, [e["field"] for e in control.json()["errors"]]) == (400, ["tax_id"])
    huge = client.post(BASE + "refunds/", {"request_id": str(uuid.uuid4()), "amount": "9" * 40}, format="json")
    assert (huge.status_code, huge.json()["code"]) == (400, "RefundInvalid")


def test_a_role_on_the_fraud_markers_list_is_refused_not_ignored(analyst) -> None:
    """gRPC's ListMedRequest, shared by the three lists, has a role that fraud markers do not."""
    with pytest.raises(BadRequest) as refused:
        selectors.marker_list(user=analyst, role="REPORTER")
    assert [error.field for error in refused.value.fields] == ["role"]
    assert selectors.marker_list(user=analyst, role="").count() == 0


def audit_rows() -> list[tuple[int, str, str, str]]:
    return sorted(PiiView.objects.values_list("user_id", "content_type__model", "object_id", "screen"))


def test_every_answer_showing_med_pii_is_in_the_audit_trail(make_account, make_entry, analyst, client_for) -> None:
    """The fraud team sees contacts, free text, tax ids and keys in clear: recorded as the admin records its
    pages, one row per user, object and day (a list's page records the rows on it)."""
    client = client_for(analyst)
    account = make_account()
    entry = make_entry(account)
    for _ in range(2):
        reported_by_other_psp(paid_to_our_customer(entry))
    med_poll()
    assert audit_rows() == []  # the poll shows nobody anything
    newest, older = InfractionReport.objects.order_by("-created_at", "-id")

    page = client.get(BASE + "infraction-reports/", {"page_size": 1})
    assert [r["id"] for r in page.json()["results"]] == [str(newest.pk)]
    assert audit_rows() == [(analyst.pk, "infractionreport", str(newest.pk), "rest")]
    assert client.get(BASE + f"infraction-reports/{older.pk}/").json()["contact_email"] == "fraude@outro.example"
    client.get(BASE + f"infraction-reports/{older.pk}/")  # again the same day: no new row
    body = {"tax_id": account.holder.tax_id, "key": entry.key_value, "fraud_type": "MULE_ACCOUNT"}
    marker = client.post(BASE + "fraud-markers/", body | {"request_id": str(uuid.uuid4())}, format="json").json()
    assert audit_rows() == sorted(
        [
            (analyst.pk, "infractionreport", str(newest.pk), "rest"),
            (analyst.pk, "infractionreport", str(older.pk), "rest"),
            (analyst.pk, "fraudmarker", marker["id"], "rest"),
        ]
    )


def test_an_update_changes_only_the_fields_it_sends(make_account, analyst, client_for) -> None:
    client = client_for(analyst)
    tx = paid_by_our_customer(make_account())
    created = client.post(
        BASE + "infraction-reports/", open_body(tx, report_details="golpe por telefone"), format="json"
    )
    path = BASE + f"infraction-reports/{created.json()['id']}/update/"

    situation = client.post(path, {"situation_type": "COERCION"}, format="json")
    assert situation.status_code == 200, situation.json()
    kept = ("COERCION", CONTACT["email"], CONTACT["phone"], "golpe por telefone")
    fields = ("situation_type", "contact_email", "contact_phone", "report_details")
    assert tuple(situation.json()[name] for name in fields) == kept
    details = client.post(path, {"report_details": "o pagador foi coagido", "email": ""}, format="json")
    assert tuple(details.json()[name] for name in fields) == (*kept[:3], "o pagador foi coagido")
    at_dict = get_client().get_infraction_report(uuid.UUID(created.json()["dict_id"]))
    assert (at_dict.situation_type, at_dict.contact.email, at_dict.report_details) == (
        "COERCION",
        CONTACT["email"],
        "o pagador foi coagido",
    )
    nothing = client.post(path, {}, format="json")
    assert (nothing.status_code, nothing.json()["code"]) == (400, "InfractionReportInvalid")


def test_an_update_of_a_report_on_our_customer_is_refused_for_our_side_first(
    make_account, make_entry, analyst, client_for
) -> None:
    reported_by_other_psp(paid_to_our_customer(make_entry(make_account())))
    med_poll()
    report = InfractionReport.objects.get()
    for body in ({"situation_type": "COERCION"}, {}):
        refused = client_for(analyst).post(BASE + f"infraction-reports/{report.pk}/update/", body, format="json")
        assert (refused.status_code, refused.json()["code"]) == (409, "InfractionReportOperationInvalid")


@pytest.fixture
def dict_answer_lost(monkeypatch):
    """DICT opens the report and the answer never arrives (a timeout); answers again once undone."""
    original = LocalDirectoryClient.create_infraction_report

    def lost(self, request):
        original(self, request)
        raise ServiceUnavailable("the directory did not answer in time.")

    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", lost)
    get_client.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_client.cache_clear()


def test_a_retry_waits_while_the_first_call_may_still_run_then_finishes_it(
    make_account, analyst, client_for, dict_answer_lost
) -> None:
    client = client_for(analyst)
    tx = paid_by_our_customer(make_account())
    body = open_body(tx)
    assert client.post(BASE + "infraction-reports/", body, format="json").status_code == 503
    row = InfractionReport.objects.get(request_id=body["request_id"])
    waiting = client.post(BASE + "infraction-reports/", body, format="json")
    assert (waiting.status_code, waiting.json()["code"], waiting["Retry-After"]) == (503, "ServiceUnavailable", "1")

    dict_answer_lost.undo()
    get_client.cache_clear()
    InfractionReport.objects.filter(pk=row.pk).update(intent_at=timezone.now() - timedelta(seconds=1))
    assert client.post(BASE + "infraction-reports/", body, format="json").status_code == 503  # within its budget
    InfractionReport.objects.filter(pk=row.pk).update(intent_at=timezone.now() - timedelta(seconds=30))
    finished = client.post(BASE + "infraction-reports/", body, format="json")
    assert (finished.status_code, finished["Idempotent-Replayed"], finished.json()["status"]) == (201, "true", "OPEN")
    assert finished.json()["id"] == str(row.pk)
    reports = get_client().list_infraction_reports(as_reporter=True, as_counterparty=False).reports
    assert [r.id for r in reports if r.transaction_id == tx] == [uuid.UUID(finished.json()["dict_id"])]

"""MED on CoreDictService, over a real server and channel: what REST does in tests/test_med_api.py, here for
the gRPC edge: a partial update (an empty string is a field not sent), every answer showing PII in the audit
trail (screen ``grpc``), and a retry meeting the first call in flight told when to come back (the
``retry-after`` trailer)."""

import uuid

import grpc
import pytest
from prometheus_client import CollectorRegistry

from audit.models import PiiView
from common.grpc_errors import ERROR_METADATA_KEY, RETRY_AFTER_METADATA_KEY
from common.grpc_interceptors import GrpcMetrics, server_interceptors
from common.grpc_server import new_server, start_server
from connect.client import get_client
from connect.local import LocalDirectoryClient
from dict_project.grpc import grpc_handlers
from dict_rules.errors import ServiceUnavailable
from med.models import InfractionReport
from med.services import med_poll
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.factories import token_for
from tests.med_support import CONTACT, fraud_team, paid_by_our_customer, paid_to_our_customer, reported_by_other_psp

pytestmark = pytest.mark.django_db(transaction=True)  # the server answers on its own threads and connections


@pytest.fixture
def med_stub(settings, make_user, server_threads_close_their_connections):
    """The fraud team's service user calling CoreDictService: ``call(method, request)``."""
    settings.RATE_LIMIT_RPS = 0
    server = new_server(workers=4, interceptors=server_interceptors(GrpcMetrics(CollectorRegistry())))
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
    analyst = fraud_team(make_user())
    metadata = (("authorization", f"Bearer {token_for(analyst)}"),)

    def call(method: str, request):
        return getattr(stub, method)(request, metadata=metadata, timeout=20)

    call.user = analyst
    yield call
    channel.close()
    server.stop(None).wait()


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def open_request(tx: str, request_id: str, **overrides) -> pb.OpenInfractionReportRequest:
    fields = {"transaction_id": tx, "situation_type": "SCAM", "request_id": request_id, **CONTACT}
    return pb.OpenInfractionReportRequest(**fields | overrides)


def test_an_update_sends_only_its_non_empty_fields(make_account, med_stub) -> None:
    tx = paid_by_our_customer(make_account())
    opened = med_stub("OpenInfractionReport", open_request(tx, str(uuid.uuid4()), report_details="golpe do pix"))
    report_id = opened.report.id
    updated = med_stub(
        "UpdateInfractionReport", pb.UpdateInfractionReportRequest(id=report_id, situation_type="COERCION")
    )
    assert (updated.situation_type, updated.contact_email, updated.contact_phone, updated.report_details) == (
        "COERCION",
        CONTACT["email"],
        CONTACT["phone"],
        "golpe do pix",
    )
    nothing = refused(lambda: med_stub("UpdateInfractionReport", pb.UpdateInfractionReportRequest(id=report_id)))
    assert (nothing.code(), dict(nothing.trailing_metadata())[ERROR_METADATA_KEY]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "InfractionReportInvalid",
    )


def test_reads_of_med_pii_are_in_the_audit_trail(make_account, make_entry, med_stub) -> None:
    reported_by_other_psp(paid_to_our_customer(make_entry(make_account())))
    med_poll()
    report = InfractionReport.objects.get()
    assert not PiiView.objects.exists()
    listed = med_stub("ListInfractionReports", pb.ListMedRequest())
    assert [(r.id, r.contact_email) for r in listed.reports] == [(str(report.pk), "fraude@outro.example")]
    med_stub("GetInfractionReport", pb.MedIdRequest(id=str(report.pk)))  # the same day: the same row
    assert list(PiiView.objects.values_list("user_id", "content_type__model", "object_id", "screen")) == [
        (med_stub.user.pk, "infractionreport", str(report.pk), "grpc")
    ]


def test_a_retry_while_the_first_call_waits_is_told_when_to_come_back(make_account, med_stub, monkeypatch) -> None:
    original = LocalDirectoryClient.create_infraction_report

    def lost(self, request):  # DICT opens it; the answer never arrives
        original(self, request)
        raise ServiceUnavailable("the directory did not answer in time.")

    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", lost)
    get_client.cache_clear()
    request = open_request(paid_by_our_customer(make_account()), str(uuid.uuid4()))
    first = refused(lambda: med_stub("OpenInfractionReport", request))
    assert RETRY_AFTER_METADATA_KEY not in dict(first.trailing_metadata())  # DICT's silence says no time
    again = refused(lambda: med_stub("OpenInfractionReport", request))
    trailers = dict(again.trailing_metadata())
    assert (again.code(), trailers[ERROR_METADATA_KEY], trailers[RETRY_AFTER_METADATA_KEY]) == (
        grpc.StatusCode.UNAVAILABLE,
        "ServiceUnavailable",
        "1",
    )

"""The rehearsal's reach (connect.client): only dictsim, never the production DICT; and the simulator
port's refusals (dictsim.bcb's bounds, the caller's own entries), in-process and over SimulatorService."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import IntegrityError

from common.grpc_server import build_server
from connect.client import RehearsalRefused, get_simulator, participant_client, rehearsal_directory_allowed
from connect.grpc_simulator import GrpcDirectorySimulator
from connect.local import LocalDirectorySimulator
from dict_rules.errors import BadRequest
from dictsim.models import DirEntry
from dictsim.sim_grpc import SimulatorServicer
from homologation.customers import describe
from protos.dict.sim.v1 import simulator_pb2 as sim_pb
from protos.dict.sim.v1 import simulator_pb2_grpc
from tests.factories import OTHER, OURS


@pytest.mark.parametrize(
    "url", ["", "127.0.0.1:50051", "localhost:50051", "[::1]:50051", "dns:///localhost:50051", "DICTSIM:50051"]
)
def test_the_rehearsal_acts_on_dictsim(settings, url) -> None:
    settings.CONNECT_URL = url

    assert rehearsal_directory_allowed()
    client, simulator = participant_client(OTHER), get_simulator()
    for made in (client, simulator):
        getattr(made, "close", lambda: None)()  # the gRPC adapters' channels


@pytest.mark.parametrize(
    "url", ["dict.pi.rsfn.net.br:16522", "10.0.0.5:50051", "localhost.example.com:50051", "dns:///dict.bcb:443"]
)
def test_the_rehearsal_refuses_any_other_directory_before_any_call(settings, url) -> None:
    settings.CONNECT_URL = url

    assert not rehearsal_directory_allowed()
    with pytest.raises(RehearsalRefused, match="REHEARSAL_DIRECTORY_HOSTS"):
        get_simulator()
    with pytest.raises(RehearsalRefused, match="not one the homologation rehearsal may act on"):
        participant_client(OTHER)


def test_the_hosts_are_a_setting(settings) -> None:
    settings.CONNECT_URL = "homolog-dict.internal:50051"
    settings.REHEARSAL_DIRECTORY_HOSTS = ["homolog-dict.internal"]

    assert rehearsal_directory_allowed()
    settings.REHEARSAL_DIRECTORY_HOSTS = ["127.0.0.1"]
    assert not rehearsal_directory_allowed()


@pytest.fixture
def sim_port(server_threads_close_their_connections) -> Iterator[int]:
    """dictsim's SimulatorService on a free loopback port."""
    server, port, _ = build_server(
        address="127.0.0.1:0",
        workers=2,
        register=[lambda s: simulator_pb2_grpc.add_SimulatorServiceServicer_to_server(SimulatorServicer(), s)],
        service_names=[sim_pb.DESCRIPTOR.services_by_name["SimulatorService"].full_name],
    )
    yield port
    server.stop(None).wait()


def adapters(port: int) -> list[object]:
    return [
        LocalDirectorySimulator(participant=OURS),
        GrpcDirectorySimulator(url=f"127.0.0.1:{port}", participant=OURS),
    ]


@pytest.mark.django_db(transaction=True)  # the server's threads use their own connections
@pytest.mark.parametrize(
    ("move", "field"),
    [
        (lambda sim: sim.seed_entries(participant=OTHER, count=-1), "count"),
        (lambda sim: sim.seed_entries(participant=OTHER, count=100_001), "count"),
        (lambda sim: sim.seed_entries(participant=OTHER, count=1, start=-5), "start"),
        (lambda sim: sim.seed_entries(participant=OURS, count=1), "participant"),
        (lambda sim: sim.tamper(participant=OURS, key_type="EMAIL", changes=-1, inserts=0), "changes"),
        (lambda sim: sim.tamper(participant=OURS, key_type="EMAIL", changes=0, inserts=100_001), "inserts"),
    ],
)
def test_the_simulator_refuses_counts_out_of_bounds_and_seeding_the_callers_keys(sim_port, move, field) -> None:
    """Before: a negative count was INTERNAL over gRPC, any count was taken, and the caller's own keys seeded."""
    for simulator in adapters(sim_port):
        with pytest.raises(BadRequest) as refused:
            move(simulator)
        assert [f.field for f in refused.value.fields] == [field], simulator
    assert not DirEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_simulator_seeds_a_counterparts_keys_within_bounds(sim_port) -> None:
    local, remote = adapters(sim_port)

    assert len(remote.seed_entries(participant=OTHER, count=3, start=10)) == 3
    assert local.seed_entries(participant=OTHER, count=0) == []
    assert DirEntry.objects.filter(participant=OTHER).count() == 3


def test_the_simulator_service_has_no_clock_move() -> None:
    """The clock is the operator's (`manage.py dictsim_clock`): the rehearsal never moved it."""
    assert "AdvanceClock" not in sim_pb.DESCRIPTOR.services_by_name["SimulatorService"].methods_by_name


def test_an_error_in_the_report_is_masked() -> None:
    error = IntegrityError('duplicate key value\nDETAIL:  Key (tax_id)=(52998224725) already exists; "ana@example.com"')

    text = describe(error)

    assert "52998224725" not in text and "ana@example.com" not in text
    assert text.startswith("IntegrityError: duplicate key value")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("amount", "ago_seconds", "field"),
    [
        (Decimal("1e30"), 0, "amount"),  # was decimal.InvalidOperation: UNKNOWN over gRPC, a traceback here
        (Decimal("1e16"), 0, "amount"),  # was a DataError from the numeric(17,2) column
        (Decimal("10.00"), 10**12, "ago_seconds"),  # was an OverflowError
        (Decimal("10.00"), -60, "ago_seconds"),  # was a payment settled in the future
    ],
)
def test_a_settlement_out_of_range_is_bad_request(sim_port, amount, ago_seconds, field) -> None:
    for simulator in adapters(sim_port):
        with pytest.raises(BadRequest) as refused:
            simulator.settle(
                end_to_end_id=f"E{OURS}202611300000{'a' * 11}",
                payer_participant=OURS,
                payer_tax_id="52998224725",
                receiver_key="nobody@example.com",
                amount=amount,
                ago_seconds=ago_seconds,
            )
        assert [f.field for f in refused.value.fields] == [field], simulator

"""Serve the simulated DICT over the Connect gRPC API, on its own port and database."""

import logging

from django.core.management.base import BaseCommand, CommandParser

from common.grpc_server import build_server, serve_until_signalled
from dictsim.grpc import ConnectServicer
from dictsim.sim_grpc import SimulatorServicer
from protos.dict.connect.v1 import connect_pb2, connect_pb2_grpc
from protos.dict.sim.v1 import simulator_pb2, simulator_pb2_grpc

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the simulated central directory (Connect gRPC API). Point DATABASE_URL at its own database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:50051", help="host:port to listen on (port 0: any free)")
        parser.add_argument("--workers", type=int, default=16, help="gRPC thread pool size")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds in-flight calls get on SIGTERM")

    def handle(self, *args, bind: str, workers: int, grace: float, **options) -> None:
        server, port, health = build_server(
            address=bind,
            workers=workers,
            register=[
                lambda s: connect_pb2_grpc.add_ConnectServiceServicer_to_server(ConnectServicer(), s),
                lambda s: simulator_pb2_grpc.add_SimulatorServiceServicer_to_server(SimulatorServicer(), s),
            ],
            service_names=[
                connect_pb2.DESCRIPTOR.services_by_name["ConnectService"].full_name,
                simulator_pb2.DESCRIPTOR.services_by_name["SimulatorService"].full_name,
            ],
        )
        host = bind.rsplit(":", 1)[0]
        logger.info("dictsim serving Connect on %s:%s", host, port)
        serve_until_signalled(server, health, grace=grace)

"""dictsim's SimulatorService: BCB's moves in a rehearsal (dictsim.bcb, the clock, the SPI) over gRPC.

Every call names its caller as Connect's calls do (``dictsim.grpc.rpc``: the participant metadata)."""

from common.pb_util import to_timestamp
from dict_rules.errors import BadRequest
from dict_rules.med_rules import amount_from_text
from dictsim import bcb, clock, spi
from dictsim.grpc import rpc
from protos.dict.sim.v1 import simulator_pb2 as pb
from protos.dict.sim.v1 import simulator_pb2_grpc


class SimulatorServicer(simulator_pb2_grpc.SimulatorServiceServicer):
    @rpc
    def Now(self, request: pb.NowRequest, context, participant: str) -> pb.TimeResponse:
        return pb.TimeResponse(now=to_timestamp(clock.now()))

    @rpc
    def SeedEntries(self, request: pb.SeedEntriesRequest, context, participant: str) -> pb.KeysResponse:
        keys = bcb.seed_participant(
            caller=participant, participant=request.participant, count=request.count, start=request.start
        )
        return pb.KeysResponse(keys=keys)

    @rpc
    def Tamper(self, request: pb.TamperRequest, context, participant: str) -> pb.KeysResponse:
        keys = bcb.tamper_type(
            participant=request.participant,
            key_type=request.key_type,
            changes=request.changes,
            inserts=request.inserts,
        )
        return pb.KeysResponse(keys=keys)

    @rpc
    def Settle(self, request: pb.SettleRequest, context, participant: str) -> pb.SettleResponse:
        spi.settle(
            end_to_end_id=request.end_to_end_id,
            payer_participant=request.payer_participant,
            payer_tax_id=request.payer_tax_id,
            receiver_key=request.receiver_key,
            amount=amount_from_text(request.amount, BadRequest),
            settled_at=spi.settled_ago(request.ago_seconds),
        )
        return pb.SettleResponse()

"""The simulator port over gRPC: dictsim's SimulatorService, at the Connect URL.

A directory that does not serve it (a real DICT's gateway) answers UNIMPLEMENTED: that is
SimulatorUnavailable, so the rehearsal reports BCB's moves as BCB's to make rather than failing.
No retries: these are an operator's moves, each made once, and a failure is reported as it is.
"""

from datetime import datetime
from decimal import Decimal

import grpc
from django.conf import settings

from common.connect_codec import PARTICIPANT_METADATA_KEY
from common.grpc_errors import domain_error_from_rpc
from common.pb_util import from_timestamp
from connect.simulator import SimulatorUnavailable
from dict_rules.errors import ServiceUnavailable
from protos.dict.sim.v1 import simulator_pb2 as pb
from protos.dict.sim.v1 import simulator_pb2_grpc

# Seeding or tampering thousands of entries takes longer than a directory call's budget.
SIMULATOR_DEADLINE_SEC = 120.0


class GrpcDirectorySimulator:
    """SimulatorService's client; the caller is ``participant`` (this PSP unless named), in the same
    metadata Connect's calls carry, so the simulator can refuse to seed the caller's own keys."""

    def __init__(
        self, *, url: str, participant: str | None = None, credentials: grpc.ChannelCredentials | None = None
    ) -> None:
        self._metadata = ((PARTICIPANT_METADATA_KEY, participant or settings.DICT_ISPB),)
        if credentials is not None:
            self._channel = grpc.secure_channel(url, credentials)
        else:
            self._channel = grpc.insecure_channel(url)
        self._stub = simulator_pb2_grpc.SimulatorServiceStub(self._channel)

    def _call(self, method: str, request):
        try:
            return getattr(self._stub, method)(request, timeout=SIMULATOR_DEADLINE_SEC, metadata=self._metadata)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise SimulatorUnavailable("the directory offers no simulator control.") from None
            refusal = domain_error_from_rpc(error)
            if refusal is not None:
                raise refusal from None
            raise ServiceUnavailable(f"the simulator did not answer ({error.code().name}).") from None

    def now(self) -> datetime:
        return from_timestamp(self._call("Now", pb.NowRequest()).now)

    def seed_entries(self, *, participant: str, count: int, start: int = 0) -> list[str]:
        request = pb.SeedEntriesRequest(participant=participant, count=count, start=start)
        return list(self._call("SeedEntries", request).keys)

    def tamper(self, *, participant: str, key_type: str, changes: int, inserts: int) -> list[str]:
        request = pb.TamperRequest(participant=participant, key_type=key_type, changes=changes, inserts=inserts)
        return list(self._call("Tamper", request).keys)

    def settle(
        self,
        *,
        end_to_end_id: str,
        payer_participant: str,
        payer_tax_id: str,
        receiver_key: str,
        amount: Decimal,
        ago_seconds: int = 0,
    ) -> None:
        request = pb.SettleRequest(
            end_to_end_id=end_to_end_id,
            payer_participant=payer_participant,
            payer_tax_id=payer_tax_id,
            receiver_key=receiver_key,
            amount=str(amount),
            ago_seconds=ago_seconds,
        )
        self._call("Settle", request)

    def close(self) -> None:
        self._channel.close()

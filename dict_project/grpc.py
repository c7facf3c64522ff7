"""The one place the gRPC server is assembled from the apps' parts (the root handlers hook).

Like django-grpc-framework's ``ROOT_HANDLERS_HOOK``: settings name ``grpc_handlers``, and
``manage.py grpcserver`` calls it with the server before starting it. Each app owns its
CoreDictService methods as a mixin in its ``grpc`` module (mappers beside them); the kernel adds
the shared ``rpc`` decorator and HealthCheck. Only this module knows all of them: a new method
goes in the proto and its app's mixin, and a new app's mixin gets one name here.
"""

import grpc

from claims.grpc import ClaimMethods
from common.grpc_service import HealthMethods, add_servicer
from keys.grpc import KeyMethods
from keys.own_view import warm_own_view
from lookup.grpc import LookupMethods
from med.grpc import MedMethods
from portability.grpc import PortabilityMethods
from possession.grpc import PossessionMethods
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CoreDictService"].full_name


class CoreDictServicer(
    KeyMethods,
    ClaimMethods,
    PortabilityMethods,
    LookupMethods,
    PossessionMethods,
    MedMethods,
    HealthMethods,
    core_dict_pb2_grpc.CoreDictServiceServicer,  # last: its stubs answer UNIMPLEMENTED
):
    """CoreDictService: every app's methods in one servicer."""


def grpc_handlers(server: grpc.Server) -> list[str]:
    """Add every servicer to ``server``; return the full names of the services added (for health and reflection)."""
    warm_own_view()  # lookups of our own keys answer from Redis once it is complete (keys.own_view)
    # Through the kernel's add_servicer: requests are decoded inside the interceptor chain.
    return add_servicer(core_dict_pb2_grpc.add_CoreDictServiceServicer_to_server, CoreDictServicer(), server)

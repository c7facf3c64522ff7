"""The one place the gRPC server is assembled from the apps' parts (the root handlers hook).

Like django-grpc-framework's ``ROOT_HANDLERS_HOOK``: settings name this function, and
``manage.py grpcserver`` calls it with the server before starting it.
"""

import grpc

from dict_project import core_grpc


def grpc_handlers(server: grpc.Server) -> list[str]:
    """Add every servicer to ``server``; return the full names of the services added (for health and reflection)."""
    core_grpc.add_to_server(server)
    return [core_grpc.SERVICE_NAME]

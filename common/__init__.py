"""The kernel every app may import and that imports no app.

REST problem mapping, gRPC status mapping, pagination, request ids, logging and PII masking, JWT
authentication, throttling, outage handling, protobuf helpers, the gRPC server runtime and its
interceptors, and the admin helpers. import-linter holds it below the apps.
"""

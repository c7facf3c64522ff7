"""The OpenAPI schema's one source of refusals, security and token shapes (drf-spectacular's DEFAULT_SCHEMA_CLASS).

Clients generate code and tests from ``/api/schema/``, so the schema must name every answer an
operation can give. ``ProblemAutoSchema`` adds the refusals that follow from what a view *is*
(authenticated, throttled, reading a body, taking ids or a cursor); an operation declares only
its own domain refusals, with ``refusals(...)``. Every refusal is ``application/problem+json``
with the ``Problem`` body that ``common.http_errors`` writes.
"""

from typing import Any

import uritemplate
from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from common.http_errors import PROBLEM_CONTENT_TYPE

WHY: dict[int, str] = {
    400: "The request is invalid; `errors` names each invalid field.",
    401: "No access token, or a refused one (malformed, expired, forged, for another API); WWW-Authenticate says why.",
    403: "The caller may not do this (a second factor is missing or wrong, or the role does not allow it).",
    404: "Not found, or not the caller's to see; on a list, the cursor is not one this API gave.",
    409: "The request conflicts with the current state (the key exists, the request id was used, a claim is open).",
    413: "The request body is larger than this API accepts.",
    406: "The Accept header asks for something other than JSON.",
    415: "The request body is not JSON.",
    422: "Well formed, but DICT's rules refuse it (key limit, claim periods, tax id of another owner).",
    429: "Too many requests; Retry-After says how many seconds to wait.",
    503: "A backing service (database, cache, DICT) is unavailable; try again, after Retry-After when given.",
}
CREDENTIALS_REFUSED = "The username and password, or the refresh token, are refused."
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InvalidField(serializers.Serializer):
    field = serializers.CharField(
        help_text="The field's name, dotted for nested fields; non_field_errors for the whole body."
    )
    message = serializers.CharField()


class Problem(serializers.Serializer):
    """RFC 7807 problem details: the body of every refusal of this API."""

    type = serializers.CharField(help_text="urn:core-dict:problem:<code>")
    title = serializers.CharField(help_text="The code again, for RFC 7807 clients.")
    status = serializers.IntegerField(help_text="The HTTP status.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence a person can read.")
    code = serializers.CharField(help_text="The stable error code (DICT's own names where they exist).")
    request_id = serializers.CharField(help_text="Quote it when asking about this request (also X-Request-ID).")
    errors = InvalidField(many=True, required=False, help_text="The invalid fields, when the request had any.")


def refusals(*statuses: int) -> dict[int, type[Problem]]:
    """An operation's own domain refusals, for ``extend_schema(responses=...)``; the rest come from the view."""
    return dict.fromkeys(statuses, Problem)


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with every refusal an operation can answer documented as a Problem."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status in sorted(self._refusals_of_the_view()):
            responses.setdefault(str(status), self._problem_response(status))
        return dict(sorted(responses.items()))

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if serializer is Problem:
            return self._problem_response(int(status_code))
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _refusals_of_the_view(self) -> set[int]:
        """What DRF and the kernel answer whatever the operation: the statuses that follow from the view's shape."""
        # every operation reads the database or the cache (an outage is a 503) and answers JSON only (406)
        statuses = {406, 503}
        if self.view.get_throttles():
            statuses.add(429)
        if self.view.get_authenticate_header(self.view.request):  # DRF answers 401 (not 403) only with a challenge
            statuses.add(401)
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            statuses |= {400, 413, 415}  # invalid or unparsable JSON, too large, not JSON
        if any(
            isinstance(p, OpenApiParameter) and p.location == OpenApiParameter.QUERY
            for p in self.get_override_parameters()
        ):
            statuses.add(400)  # filters and options are checked
        if uritemplate.variables(self.path):
            statuses.add(404)  # an id nobody may see here
        if self._get_paginator() and self._is_list_view():
            statuses.add(400)  # a cursor this list never gave out (common.pagination)
        return statuses

    def _problem_response(self, status: int) -> dict[str, Any]:
        token_endpoint = status == 401 and not self.view.get_authenticators()
        response: dict[str, Any] = {
            "description": CREDENTIALS_REFUSED if token_endpoint else WHY[status],
            "content": {PROBLEM_CONTENT_TYPE: {"schema": self.resolve_serializer(Problem, "response").ref}},
        }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "schema": {"type": "string"},
                    "description": 'Bearer realm="api"; for a refused access token also error="invalid_token" '
                    "and error_description (RFC 6750).",
                }
            }
        if status in (429, 503):
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds to wait before trying again.",
                    "required": status == 429,
                }
            }
        return response


class HolderJWTScheme(SimpleJWTScheme):
    """Our JWT authentication is simplejwt's: an HTTP bearer scheme carrying a JWT."""

    target_class = "common.authentication.HolderJWTAuthentication"


class TokenObtainSchema(TokenObtainPairSerializerExtension):
    """simplejwt's request and response shapes for our token serializers, which subclass simplejwt's."""

    match_subclasses = True

    def get_name(self) -> str:
        return "TokenPair"


class TokenRefreshSchema(TokenRefreshSerializerExtension):
    """As ``TokenObtainSchema``: the refresh token in, a new access token out."""

    match_subclasses = True

    def get_name(self) -> str:
        return "TokenRefresh"

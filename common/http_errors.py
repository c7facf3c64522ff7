"""The one place where errors become HTTP responses: RFC 7807 problem+json with a stable code.

Domain errors map through ``HTTP_STATUS``; DRF's own errors (authentication, parsing,
validation, throttling) are rendered in the same shape, a 401 with RFC 6750's WWW-Authenticate;
anything unexpected is logged with the request id and answered as a generic 500 carrying that
id, never a stack trace.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from common.authentication import TokenRefused, www_authenticate
from common.outages import outage_error
from common.request_id import current_request_id
from common.retry_after import retry_after_seconds
from dict_rules import errors

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

HTTP_STATUS: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.EntryInvalid: 400,
    errors.AccountInvalid: 400,
    errors.TaxIdInvalid: 400,
    errors.InvalidReason: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.ParticipantInvalid: 403,
    errors.NotFound: 404,
    errors.EntryAlreadyExists: 409,
    errors.EntryKeyOwnedByDifferentPerson: 409,
    errors.EntryKeyInCustodyOfDifferentParticipant: 409,
    errors.RequestIdAlreadyUsed: 409,
    errors.EntryStateInvalid: 409,
    errors.EntryLimitExceeded: 422,
    errors.EntryTaxIdNumberByDifferentOwner: 422,
    errors.EntryCannotBeQueriedForBookTransfer: 422,
    errors.RateLimited: 429,
    errors.ServiceUnavailable: 503,
    errors.ClaimInvalid: 400,
    errors.ClaimKeyNotFound: 404,
    errors.EntryLockedByClaim: 409,
    errors.ClaimAlreadyExistsForKey: 409,
    errors.ClaimResultingEntryAlreadyExists: 409,
    errors.ClaimOperationInvalid: 409,
    errors.ClaimTypeInconsistent: 422,
    errors.ClaimResolutionPeriodNotEnded: 422,
    errors.ClaimCompletionPeriodNotEnded: 422,
    errors.OwnerTaxIdIrregular: 422,
    errors.OwnerNameMismatch: 422,
    errors.SecondFactorRequired: 403,
    errors.SecondFactorInvalid: 403,
    errors.PossessionNotProven: 422,
    errors.PossessionCodeInvalid: 403,
    errors.PossessionChallengeExpired: 409,
    # MED (DICT answers each with 400; statuses by kind, as for claims): malformed fields are 400; the
    # record's status or a record already in progress / done for the transaction is a conflict (409);
    # a well-formed request the transaction's facts refuse (too old, not settled, no agreed report,
    # not refundable) is 422.
    errors.InfractionReportInvalid: 400,
    errors.FraudMarkerInvalid: 400,
    errors.RefundInvalid: 400,
    errors.InfractionReportOperationInvalid: 409,
    errors.InfractionReportAlreadyBeingProcessedForTransaction: 409,
    errors.InfractionReportAlreadyProcessedForTransaction: 409,
    errors.RefundOperationInvalid: 409,
    errors.RefundAlreadyBeingProcessedForTransaction: 409,
    errors.RefundAlreadyProcessedForTransaction: 409,
    errors.InfractionReportTransactionNotFound: 422,
    errors.InfractionReportTransactionNotSettled: 422,
    errors.InfractionReportPeriodExpired: 422,
    errors.RefundTransactionNotFound: 422,
    errors.RefundTransactionNotSettled: 422,
    errors.RefundPeriodExpired: 422,
    errors.TransactionNotRefundable: 422,
    errors.RefundInfractionReportNotFound: 422,
}

# DRF exception class -> (status, stable code); the most specific class first.
_DRF_CODES: list[tuple[type[drf.APIException], str]] = [
    (drf.NotAuthenticated, "Unauthorized"),
    (drf.AuthenticationFailed, "Unauthorized"),
    (drf.PermissionDenied, "Forbidden"),
    (drf.NotFound, "NotFound"),
    (drf.MethodNotAllowed, "MethodNotAllowed"),
    (drf.NotAcceptable, "NotAcceptable"),
    (drf.UnsupportedMediaType, "UnsupportedMediaType"),
    (drf.Throttled, "RateLimited"),
    (drf.ParseError, "BadRequest"),
    (drf.ValidationError, "BadRequest"),
]


def http_status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


def problem(status: int, code: str, detail: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:core-dict:problem:{code}",
        "title": code,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    if fields:
        body["errors"] = fields
    return body


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested validation detail into a flat list of {field, message}."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" else f"{prefix}{key}"
            out.extend(_flatten(value, f"{name}." if isinstance(value, dict) else name))
        return out
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, prefix)]
    return [{"field": prefix.rstrip(".") or "non_field_errors", "message": str(detail)}]


def _sentence(detail: Any) -> str:
    """A DRF detail as plain text: simplejwt nests its sentence in a dict, whose repr a client must never see."""
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    return str(detail)


def _response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER."""
    exc = outage_error(exc) or exc
    if isinstance(exc, errors.DomainError):
        fields = [{"field": f.field, "message": f.message} for f in exc.fields]
        retry_after = exc.retry_after  # RateLimited, and ServiceUnavailable when known
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if isinstance(exc, errors.Unauthenticated):  # a token refused after authentication (the lookup's user check)
            headers["WWW-Authenticate"] = www_authenticate(TokenRefused(exc.message))
        return _response(problem(http_status_for(exc), exc.code, exc.message, fields), headers or None)
    if isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, met reading the body
        return _response(problem(413, "PayloadTooLarge", "The request body is larger than this API accepts."))
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "BadRequest")
        headers = {}
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(retry_after_seconds(exc.wait))
        if getattr(exc, "auth_header", None):  # DRF's mark of a 401 (APIView.handle_exception)
            headers["WWW-Authenticate"] = www_authenticate(exc)
        if isinstance(exc, drf.ValidationError):
            body = problem(exc.status_code, code, "The request is invalid.", _flatten(exc.detail))
        else:
            body = problem(exc.status_code, code, _sentence(exc.detail))
        return _response(body, headers)
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return _response(problem(500, "InternalError", "An unexpected error occurred; quote the request id."))


def json_400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler400: what Django refuses before any view, such as a Host not in ALLOWED_HOSTS."""
    body = problem(400, "BadRequest", "The request was refused.")
    return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler404 for paths outside the API's views."""
    return JsonResponse(problem(404, "NotFound", "Not found."), status=404, content_type=PROBLEM_CONTENT_TYPE)


def json_500(request: HttpRequest) -> JsonResponse:
    """handler500: the exception was already logged by Django, with the request id."""
    body = problem(500, "InternalError", "An unexpected error occurred; quote the request id.")
    return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

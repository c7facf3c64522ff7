"""The one place where domain errors become gRPC statuses, and back again on the client side.

The status carries DICT's error type in trailing metadata ``x-dict-error`` so the peer can
rebuild the exact DomainError; the details string is the human message, and the invalid
fields, if any, travel as JSON in ``x-dict-error-fields-bin``.
"""

import json
import logging

import grpc

from dict_rules import errors

ERROR_METADATA_KEY = "x-dict-error"
FIELDS_METADATA_KEY = "x-dict-error-fields-bin"  # binary metadata: any characters
RETRY_AFTER_METADATA_KEY = "retry-after"  # seconds, on RateLimited and ServiceUnavailable when known

logger = logging.getLogger(__name__)

GRPC_STATUS: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.BadRequest: grpc.StatusCode.INVALID_ARGUMENT,
    errors.EntryInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.AccountInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.TaxIdInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InvalidReason: grpc.StatusCode.INVALID_ARGUMENT,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.ParticipantInvalid: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.EntryAlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.EntryKeyOwnedByDifferentPerson: grpc.StatusCode.ALREADY_EXISTS,
    errors.EntryKeyInCustodyOfDifferentParticipant: grpc.StatusCode.ALREADY_EXISTS,
    errors.RequestIdAlreadyUsed: grpc.StatusCode.ALREADY_EXISTS,
    errors.EntryStateInvalid: grpc.StatusCode.FAILED_PRECONDITION,
    errors.EntryLimitExceeded: grpc.StatusCode.FAILED_PRECONDITION,
    errors.EntryTaxIdNumberByDifferentOwner: grpc.StatusCode.FAILED_PRECONDITION,
    errors.EntryCannotBeQueriedForBookTransfer: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.ServiceUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.ClaimInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.ClaimKeyNotFound: grpc.StatusCode.NOT_FOUND,
    errors.EntryLockedByClaim: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ClaimAlreadyExistsForKey: grpc.StatusCode.ALREADY_EXISTS,
    errors.ClaimResultingEntryAlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.ClaimOperationInvalid: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ClaimTypeInconsistent: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ClaimResolutionPeriodNotEnded: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ClaimCompletionPeriodNotEnded: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OwnerTaxIdIrregular: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OwnerNameMismatch: grpc.StatusCode.FAILED_PRECONDITION,
    errors.SecondFactorRequired: grpc.StatusCode.PERMISSION_DENIED,
    errors.SecondFactorInvalid: grpc.StatusCode.PERMISSION_DENIED,
    errors.PossessionNotProven: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PossessionCodeInvalid: grpc.StatusCode.PERMISSION_DENIED,
    errors.PossessionChallengeExpired: grpc.StatusCode.FAILED_PRECONDITION,
    # MED, by the same kinds as REST's table: invalid fields, a conflict with what exists, the transaction's facts.
    errors.InfractionReportInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.FraudMarkerInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.RefundInvalid: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InfractionReportOperationInvalid: grpc.StatusCode.FAILED_PRECONDITION,
    errors.InfractionReportAlreadyBeingProcessedForTransaction: grpc.StatusCode.ALREADY_EXISTS,
    errors.InfractionReportAlreadyProcessedForTransaction: grpc.StatusCode.ALREADY_EXISTS,
    errors.RefundOperationInvalid: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RefundAlreadyBeingProcessedForTransaction: grpc.StatusCode.ALREADY_EXISTS,
    errors.RefundAlreadyProcessedForTransaction: grpc.StatusCode.ALREADY_EXISTS,
    errors.InfractionReportTransactionNotFound: grpc.StatusCode.FAILED_PRECONDITION,
    errors.InfractionReportTransactionNotSettled: grpc.StatusCode.FAILED_PRECONDITION,
    errors.InfractionReportPeriodExpired: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RefundTransactionNotFound: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RefundTransactionNotSettled: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RefundPeriodExpired: grpc.StatusCode.FAILED_PRECONDITION,
    errors.TransactionNotRefundable: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RefundInfractionReportNotFound: grpc.StatusCode.FAILED_PRECONDITION,
}


def grpc_status_for(error: errors.DomainError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in GRPC_STATUS:
            return GRPC_STATUS[cls]
    return grpc.StatusCode.INVALID_ARGUMENT


def abort(context: grpc.ServicerContext, error: errors.DomainError) -> None:
    """End the call with the error's status; never returns."""
    metadata = [(ERROR_METADATA_KEY, error.code)]
    retry_after = error.retry_after  # RateLimited, and ServiceUnavailable when known
    if retry_after is not None:
        metadata.append((RETRY_AFTER_METADATA_KEY, str(retry_after)))  # REST's Retry-After header
    if error.fields:
        fields = [[f.field, f.message] for f in error.fields]
        metadata.append((FIELDS_METADATA_KEY, json.dumps(fields).encode()))
    context.set_trailing_metadata(tuple(metadata))
    context.abort(grpc_status_for(error), error.message)


def domain_error_from_rpc(error: grpc.RpcError) -> errors.DomainError | None:
    """The DomainError a peer sent, or None when the failure is not a domain refusal."""
    metadata = dict(error.trailing_metadata() or ())
    code = metadata.get(ERROR_METADATA_KEY)
    if not code:
        return None
    refusal = errors.error_for_code(code, error.details() or "")
    fields = metadata.get(FIELDS_METADATA_KEY)
    if fields:
        refusal.fields = _field_errors(fields)
    return refusal


def _field_errors(raw: bytes | str) -> list[errors.FieldError]:
    """The invalid fields of the trailer; none when it is not what ``abort`` writes (the refusal still counts)."""
    try:
        decoded = json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        logger.warning("ignoring a malformed %s trailer", FIELDS_METADATA_KEY)
        return []
    if not isinstance(decoded, list) or not all(
        isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item) for item in decoded
    ):
        logger.warning("ignoring a malformed %s trailer", FIELDS_METADATA_KEY)
        return []
    return [errors.FieldError(field, message) for field, message in decoded]

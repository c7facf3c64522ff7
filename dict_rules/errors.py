"""Domain errors: exceptions with a stable ``code``, named after DICT's own error types.

Pure Python, so rules on both sides of the wire raise them: the PSP's apps and the simulated
directory. Besides DICT's names there are a few the PSP's edges need (Unauthenticated,
SecondFactorRequired, SecondFactorInvalid, AccountInvalid, TaxIdInvalid, EntryStateInvalid); they
are kept in the same hierarchy so the two status tables cover every error. Each edge maps them in
one table: ``common.http_errors`` (HTTP) and ``common.grpc_errors`` (gRPC).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    code = "BadRequest"
    default_message = "The request is invalid."
    retry_after: int | None = None  # seconds to wait before asking again (Retry-After), when the error knows

    def __init__(
        self, message: str | None = None, *, fields: list[FieldError] | None = None, retry_after: int | None = None
    ) -> None:
        """``retry_after``: seconds the caller should wait, when known (else the class's own, if any)."""
        self.message = message or self.default_message
        self.fields = fields or []
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(self.message)

    @classmethod
    def on_field(cls, field: str, message: str) -> "DomainError":
        """The error for one invalid input field, with the field named in the details."""
        return cls(message, fields=[FieldError(field, message)])


class BadRequest(DomainError):
    code = "BadRequest"


class NotFound(DomainError):
    code = "NotFound"
    default_message = "Not found."


class Unauthenticated(DomainError):
    code = "Unauthorized"
    default_message = "Authentication credentials were not provided or are invalid."


class Forbidden(DomainError):
    code = "Forbidden"
    default_message = "You may not do this."


class InvalidReason(DomainError):
    code = "InvalidReason"
    default_message = "This reason is not allowed for this operation."


class RequestIdAlreadyUsed(DomainError):
    code = "RequestIdAlreadyUsed"
    default_message = "This request id was already used with different data."


class AccountInvalid(DomainError):
    code = "AccountInvalid"
    default_message = "The account data is invalid."


class TaxIdInvalid(DomainError):
    code = "TaxIdInvalid"
    default_message = "The tax id is not a valid CPF or CNPJ."


class EntryInvalid(DomainError):
    code = "EntryInvalid"
    default_message = "The key is not valid for its type."


class EntryLimitExceeded(DomainError):
    code = "EntryLimitExceeded"
    default_message = "The account already holds the maximum number of keys."


class EntryAlreadyExists(DomainError):
    code = "EntryAlreadyExists"
    default_message = "This key is already registered for this owner."


class EntryKeyOwnedByDifferentPerson(DomainError):
    code = "EntryKeyOwnedByDifferentPerson"
    default_message = "This key belongs to another person; an ownership claim may be opened."


class EntryKeyInCustodyOfDifferentParticipant(DomainError):
    code = "EntryKeyInCustodyOfDifferentParticipant"
    default_message = "This key is held at another PSP; a portability may be requested."


class EntryTaxIdNumberByDifferentOwner(DomainError):
    code = "EntryTaxIdNumberByDifferentOwner"
    default_message = "A CPF or CNPJ key must equal the account holder's tax id."


class EntryStateInvalid(DomainError):
    code = "EntryStateInvalid"
    default_message = "The key is not in a state that allows this operation."


class ServiceUnavailable(DomainError):
    code = "ServiceUnavailable"
    default_message = "The central directory is unavailable; try again later."


class ParticipantInvalid(DomainError):
    code = "ParticipantInvalid"
    default_message = "The participant may not act on this entry or account."


class EntryCannotBeQueriedForBookTransfer(DomainError):
    code = "EntryCannotBeQueriedForBookTransfer"
    default_message = "The key is held by the requesting participant; resolve it locally."


class RateLimited(DomainError):
    code = "RateLimited"
    default_message = "Too many requests; try again later."
    retry_after = 60


class EntryLockedByClaim(DomainError):
    code = "EntryLockedByClaim"
    default_message = "The key is locked by an open claim."


class ClaimInvalid(DomainError):
    code = "ClaimInvalid"
    default_message = "The claim is invalid."


class ClaimTypeInconsistent(DomainError):
    code = "ClaimTypeInconsistent"
    default_message = "An ownership claim is for another person's key, a portability for one's own."


class ClaimKeyNotFound(DomainError):
    code = "ClaimKeyNotFound"
    default_message = "The key is not registered in DICT."


class ClaimAlreadyExistsForKey(DomainError):
    code = "ClaimAlreadyExistsForKey"
    default_message = "Another claim for this key is still open."


class ClaimResultingEntryAlreadyExists(DomainError):
    code = "ClaimResultingEntryAlreadyExists"
    default_message = "The entry the claim would create already exists."


class ClaimOperationInvalid(DomainError):
    code = "ClaimOperationInvalid"
    default_message = "This operation is not allowed on the claim in its current status or for this party."


class ClaimResolutionPeriodNotEnded(DomainError):
    code = "ClaimResolutionPeriodNotEnded"
    default_message = "The claim's resolution period has not ended."


class ClaimCompletionPeriodNotEnded(DomainError):
    code = "ClaimCompletionPeriodNotEnded"
    default_message = "The claim's completion period has not ended."


class OwnerTaxIdIrregular(DomainError):
    """The owner's CPF or CNPJ is irregular at Receita Federal (DICT_RULES §1): no key may be
    registered, updated, ported or claimed for it."""

    code = "OwnerTaxIdIrregular"
    default_message = "The owner's tax id is irregular at Receita Federal."


class OwnerNameMismatch(DomainError):
    """The owner's name or trade name does not match Receita Federal's records (DICT_RULES §2.3)."""

    code = "OwnerNameMismatch"
    default_message = "The owner's name does not match Receita Federal's records."


class SecondFactorRequired(DomainError):
    code = "SecondFactorRequired"
    default_message = "This operation needs a confirmed second factor (TOTP); enrol one first."


class SecondFactorInvalid(DomainError):
    code = "SecondFactorInvalid"
    default_message = "The one-time code is wrong, expired or already used."


class PossessionNotProven(DomainError):
    code = "PossessionNotProven"
    default_message = "Possession of this phone or e-mail key must be proven with a confirmed challenge first."


class PossessionCodeInvalid(DomainError):
    code = "PossessionCodeInvalid"
    default_message = "The verification code is wrong."


class PossessionChallengeExpired(DomainError):
    code = "PossessionChallengeExpired"
    default_message = "The verification challenge expired or has no attempts left; start a new one."


# MED (DICT_RULES §8): DICT's own error types, each a 400 at DICT.
class InfractionReportInvalid(DomainError):
    code = "InfractionReportInvalid"
    default_message = "The infraction report has invalid fields."


class InfractionReportOperationInvalid(DomainError):
    code = "InfractionReportOperationInvalid"
    default_message = "The infraction report's status (or your part in it) does not allow this operation."


class InfractionReportTransactionNotFound(DomainError):
    code = "InfractionReportTransactionNotFound"
    default_message = "The report's transaction was not found."


class InfractionReportTransactionNotSettled(DomainError):
    code = "InfractionReportTransactionNotSettled"
    default_message = "The report's transaction was not settled."


class InfractionReportAlreadyBeingProcessedForTransaction(DomainError):
    code = "InfractionReportAlreadyBeingProcessedForTransaction"
    default_message = "An infraction report for this transaction is already in progress."


class InfractionReportAlreadyProcessedForTransaction(DomainError):
    code = "InfractionReportAlreadyProcessedForTransaction"
    default_message = "An infraction report for this transaction was already closed."


class InfractionReportPeriodExpired(DomainError):
    code = "InfractionReportPeriodExpired"
    default_message = "The period to report an infraction on this transaction has expired."


class FraudMarkerInvalid(DomainError):
    code = "FraudMarkerInvalid"
    default_message = "The fraud marker has invalid fields."


class RefundInvalid(DomainError):
    code = "RefundInvalid"
    default_message = "The refund request has invalid fields."


class RefundOperationInvalid(DomainError):
    code = "RefundOperationInvalid"
    default_message = "The refund request's status (or your part in it) does not allow this operation."


class RefundTransactionNotFound(DomainError):
    code = "RefundTransactionNotFound"
    default_message = "The refund's transaction was not found."


class RefundTransactionNotSettled(DomainError):
    code = "RefundTransactionNotSettled"
    default_message = "The refund's transaction was not settled."


class RefundAlreadyBeingProcessedForTransaction(DomainError):
    code = "RefundAlreadyBeingProcessedForTransaction"
    default_message = "A refund request for this transaction is already in progress."


class RefundAlreadyProcessedForTransaction(DomainError):
    code = "RefundAlreadyProcessedForTransaction"
    default_message = "A refund request for this transaction was already processed."


class RefundPeriodExpired(DomainError):
    code = "RefundPeriodExpired"
    default_message = "The period to request a refund of this transaction has expired."


class TransactionNotRefundable(DomainError):
    code = "TransactionNotRefundable"
    default_message = "This transaction cannot be refunded."


class RefundInfractionReportNotFound(DomainError):
    code = "RefundInfractionReportNotFound"
    default_message = "No agreed infraction report was found for this transaction."


ERRORS_BY_CODE: dict[str, type[DomainError]] = {}


def _index(cls: type[DomainError]) -> None:
    for sub in cls.__subclasses__():
        ERRORS_BY_CODE.setdefault(sub.code, sub)
        _index(sub)


_index(DomainError)


def error_for_code(code: str, message: str) -> DomainError:
    """Rebuild the domain error a remote peer named (unknown codes become BadRequest)."""
    return ERRORS_BY_CODE.get(code, BadRequest)(message)

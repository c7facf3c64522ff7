"""Domain errors: exceptions with a stable ``code``, named after DICT's own error types.

Pure Python, so domain modules may raise them. Interfaces map them to HTTP (http_errors)
and, later, gRPC status codes in one table each.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    code = "BadRequest"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, fields: list[FieldError] | None = None) -> None:
        self.message = message or self.default_message
        self.fields = fields or []
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

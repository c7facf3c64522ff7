import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEY_TYPE_UNSPECIFIED: _ClassVar[KeyType]
    CPF: _ClassVar[KeyType]
    CNPJ: _ClassVar[KeyType]
    PHONE: _ClassVar[KeyType]
    EMAIL: _ClassVar[KeyType]
    EVP: _ClassVar[KeyType]

class AccountType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_TYPE_UNSPECIFIED: _ClassVar[AccountType]
    CACC: _ClassVar[AccountType]
    SVGS: _ClassVar[AccountType]
    SLRY: _ClassVar[AccountType]
    TRAN: _ClassVar[AccountType]

class PersonType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERSON_TYPE_UNSPECIFIED: _ClassVar[PersonType]
    NATURAL_PERSON: _ClassVar[PersonType]
    LEGAL_PERSON: _ClassVar[PersonType]

class EntryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_STATUS_UNSPECIFIED: _ClassVar[EntryStatus]
    PENDING: _ClassVar[EntryStatus]
    ACTIVE: _ClassVar[EntryStatus]
    FAILED: _ClassVar[EntryStatus]
    DELETE_PENDING: _ClassVar[EntryStatus]
    DELETED: _ClassVar[EntryStatus]

class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_UNSPECIFIED: _ClassVar[Reason]
    USER_REQUESTED: _ClassVar[Reason]
    ACCOUNT_CLOSURE: _ClassVar[Reason]
    RECONCILIATION: _ClassVar[Reason]
    FRAUD: _ClassVar[Reason]
    RFB_VALIDATION: _ClassVar[Reason]
    DEFAULT_OPERATION: _ClassVar[Reason]
    BRANCH_TRANSFER: _ClassVar[Reason]

class ClaimType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_TYPE_UNSPECIFIED: _ClassVar[ClaimType]
    OWNERSHIP: _ClassVar[ClaimType]
    PORTABILITY: _ClassVar[ClaimType]

class ClaimStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATUS_UNSPECIFIED: _ClassVar[ClaimStatus]
    OPEN: _ClassVar[ClaimStatus]
    WAITING_RESOLUTION: _ClassVar[ClaimStatus]
    CONFIRMED: _ClassVar[ClaimStatus]
    CANCELLED: _ClassVar[ClaimStatus]
    COMPLETED: _ClassVar[ClaimStatus]

class ClaimRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_ROLE_UNSPECIFIED: _ClassVar[ClaimRole]
    DONOR: _ClassVar[ClaimRole]
    CLAIMER: _ClassVar[ClaimRole]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    ACCEPT: _ClassVar[Decision]
    REJECT: _ClassVar[Decision]

class ServingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVING_STATUS_UNSPECIFIED: _ClassVar[ServingStatus]
    SERVING: _ClassVar[ServingStatus]
    NOT_SERVING: _ClassVar[ServingStatus]

class PossessionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSSESSION_STATUS_UNSPECIFIED: _ClassVar[PossessionStatus]
    POSSESSION_PENDING: _ClassVar[PossessionStatus]
    POSSESSION_CONFIRMED: _ClassVar[PossessionStatus]
    POSSESSION_USED: _ClassVar[PossessionStatus]
    POSSESSION_EXPIRED: _ClassVar[PossessionStatus]
    POSSESSION_LOCKED: _ClassVar[PossessionStatus]
KEY_TYPE_UNSPECIFIED: KeyType
CPF: KeyType
CNPJ: KeyType
PHONE: KeyType
EMAIL: KeyType
EVP: KeyType
ACCOUNT_TYPE_UNSPECIFIED: AccountType
CACC: AccountType
SVGS: AccountType
SLRY: AccountType
TRAN: AccountType
PERSON_TYPE_UNSPECIFIED: PersonType
NATURAL_PERSON: PersonType
LEGAL_PERSON: PersonType
ENTRY_STATUS_UNSPECIFIED: EntryStatus
PENDING: EntryStatus
ACTIVE: EntryStatus
FAILED: EntryStatus
DELETE_PENDING: EntryStatus
DELETED: EntryStatus
REASON_UNSPECIFIED: Reason
USER_REQUESTED: Reason
ACCOUNT_CLOSURE: Reason
RECONCILIATION: Reason
FRAUD: Reason
RFB_VALIDATION: Reason
DEFAULT_OPERATION: Reason
BRANCH_TRANSFER: Reason
CLAIM_TYPE_UNSPECIFIED: ClaimType
OWNERSHIP: ClaimType
PORTABILITY: ClaimType
CLAIM_STATUS_UNSPECIFIED: ClaimStatus
OPEN: ClaimStatus
WAITING_RESOLUTION: ClaimStatus
CONFIRMED: ClaimStatus
CANCELLED: ClaimStatus
COMPLETED: ClaimStatus
CLAIM_ROLE_UNSPECIFIED: ClaimRole
DONOR: ClaimRole
CLAIMER: ClaimRole
DECISION_UNSPECIFIED: Decision
ACCEPT: Decision
REJECT: Decision
SERVING_STATUS_UNSPECIFIED: ServingStatus
SERVING: ServingStatus
NOT_SERVING: ServingStatus
POSSESSION_STATUS_UNSPECIFIED: PossessionStatus
POSSESSION_PENDING: PossessionStatus
POSSESSION_CONFIRMED: PossessionStatus
POSSESSION_USED: PossessionStatus
POSSESSION_EXPIRED: PossessionStatus
POSSESSION_LOCKED: PossessionStatus

class Entry(_message.Message):
    __slots__ = ("id", "account_id", "key_type", "key_value", "status", "failure_code", "delete_reason", "request_id", "cid", "created_at", "updated_at", "registered_at", "key_ownership_date", "deleted_at", "update_pending", "update_account_id", "update_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_VALUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    DELETE_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    KEY_OWNERSHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    DELETED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_PENDING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: int
    key_type: KeyType
    key_value: str
    status: EntryStatus
    failure_code: str
    delete_reason: Reason
    request_id: str
    cid: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    registered_at: _timestamp_pb2.Timestamp
    key_ownership_date: _timestamp_pb2.Timestamp
    deleted_at: _timestamp_pb2.Timestamp
    update_pending: bool
    update_account_id: int
    update_reason: Reason
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[int] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., key_value: _Optional[str] = ..., status: _Optional[_Union[EntryStatus, str]] = ..., failure_code: _Optional[str] = ..., delete_reason: _Optional[_Union[Reason, str]] = ..., request_id: _Optional[str] = ..., cid: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_ownership_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deleted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_pending: _Optional[bool] = ..., update_account_id: _Optional[int] = ..., update_reason: _Optional[_Union[Reason, str]] = ...) -> None: ...

class CreateKeyRequest(_message.Message):
    __slots__ = ("account_id", "key_type", "key_value", "request_id", "possession_challenge_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    POSSESSION_CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    key_type: KeyType
    key_value: str
    request_id: str
    possession_challenge_id: str
    def __init__(self, account_id: _Optional[int] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., key_value: _Optional[str] = ..., request_id: _Optional[str] = ..., possession_challenge_id: _Optional[str] = ...) -> None: ...

class CreateKeyResponse(_message.Message):
    __slots__ = ("entry", "replayed")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    replayed: bool
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ("key_type", "status", "page_size", "page_token")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    key_type: KeyType
    status: EntryStatus
    page_size: int
    page_token: str
    def __init__(self, key_type: _Optional[_Union[KeyType, str]] = ..., status: _Optional[_Union[EntryStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Entry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[Entry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteKeyRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: Reason
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[_Union[Reason, str]] = ...) -> None: ...

class UpdateKeyRequest(_message.Message):
    __slots__ = ("id", "account_id", "reason", "request_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: int
    reason: Reason
    request_id: str
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[int] = ..., reason: _Optional[_Union[Reason, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateKeyResponse(_message.Message):
    __slots__ = ("entry", "replayed")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    replayed: bool
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class PossessionChallenge(_message.Message):
    __slots__ = ("id", "key_type", "key", "status", "attempts_left", "created_at", "expires_at", "confirmed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    key_type: KeyType
    key: str
    status: PossessionStatus
    attempts_left: int
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    confirmed_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., key: _Optional[str] = ..., status: _Optional[_Union[PossessionStatus, str]] = ..., attempts_left: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StartPossessionChallengeRequest(_message.Message):
    __slots__ = ("key_type", "key")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key_type: KeyType
    key: str
    def __init__(self, key_type: _Optional[_Union[KeyType, str]] = ..., key: _Optional[str] = ...) -> None: ...

class ConfirmPossessionChallengeRequest(_message.Message):
    __slots__ = ("id", "code")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: str
    def __init__(self, id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("id", "dict_id", "type", "role", "status", "key_type", "key", "account_id", "entry_id", "donor_participant", "claimer_participant", "dict_created_at", "resolution_period_end", "completion_period_end", "last_modified", "time_left_seconds", "confirm_reason", "cancel_reason", "cancelled_by", "request_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    DONOR_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CLAIMER_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    DICT_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    TIME_LEFT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_REASON_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    dict_id: str
    type: ClaimType
    role: ClaimRole
    status: ClaimStatus
    key_type: KeyType
    key: str
    account_id: int
    entry_id: str
    donor_participant: str
    claimer_participant: str
    dict_created_at: _timestamp_pb2.Timestamp
    resolution_period_end: _timestamp_pb2.Timestamp
    completion_period_end: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    time_left_seconds: int
    confirm_reason: Reason
    cancel_reason: Reason
    cancelled_by: ClaimRole
    request_id: str
    def __init__(self, id: _Optional[str] = ..., dict_id: _Optional[str] = ..., type: _Optional[_Union[ClaimType, str]] = ..., role: _Optional[_Union[ClaimRole, str]] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., key: _Optional[str] = ..., account_id: _Optional[int] = ..., entry_id: _Optional[str] = ..., donor_participant: _Optional[str] = ..., claimer_participant: _Optional[str] = ..., dict_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completion_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_left_seconds: _Optional[int] = ..., confirm_reason: _Optional[_Union[Reason, str]] = ..., cancel_reason: _Optional[_Union[Reason, str]] = ..., cancelled_by: _Optional[_Union[ClaimRole, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartClaimRequest(_message.Message):
    __slots__ = ("account_id", "key", "key_type", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    key: str
    key_type: KeyType
    request_id: str
    def __init__(self, account_id: _Optional[int] = ..., key: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartClaimResponse(_message.Message):
    __slots__ = ("claim", "replayed")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    replayed: bool
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class GetClaimStatusRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("type", "status", "page_size", "page_token")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    type: ClaimType
    status: ClaimStatus
    page_size: int
    page_token: str
    def __init__(self, type: _Optional[_Union[ClaimType, str]] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RespondToClaimRequest(_message.Message):
    __slots__ = ("id", "decision", "otp", "possession_challenge_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    OTP_FIELD_NUMBER: _ClassVar[int]
    POSSESSION_CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    decision: Decision
    otp: str
    possession_challenge_id: str
    def __init__(self, id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., otp: _Optional[str] = ..., possession_challenge_id: _Optional[str] = ...) -> None: ...

class CancelClaimRequest(_message.Message):
    __slots__ = ("id", "otp", "reason", "possession_challenge_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    OTP_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    POSSESSION_CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    otp: str
    reason: Reason
    possession_challenge_id: str
    def __init__(self, id: _Optional[str] = ..., otp: _Optional[str] = ..., reason: _Optional[_Union[Reason, str]] = ..., possession_challenge_id: _Optional[str] = ...) -> None: ...

class CompleteClaimRequest(_message.Message):
    __slots__ = ("id", "possession_challenge_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    POSSESSION_CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    possession_challenge_id: str
    def __init__(self, id: _Optional[str] = ..., possession_challenge_id: _Optional[str] = ...) -> None: ...

class StartPortabilityRequest(_message.Message):
    __slots__ = ("account_id", "key_type", "key", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    key_type: KeyType
    key: str
    request_id: str
    def __init__(self, account_id: _Optional[int] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., key: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ConfirmPortabilityRequest(_message.Message):
    __slots__ = ("id", "otp")
    ID_FIELD_NUMBER: _ClassVar[int]
    OTP_FIELD_NUMBER: _ClassVar[int]
    id: str
    otp: str
    def __init__(self, id: _Optional[str] = ..., otp: _Optional[str] = ...) -> None: ...

class CancelPortabilityRequest(_message.Message):
    __slots__ = ("id", "otp")
    ID_FIELD_NUMBER: _ClassVar[int]
    OTP_FIELD_NUMBER: _ClassVar[int]
    id: str
    otp: str
    def __init__(self, id: _Optional[str] = ..., otp: _Optional[str] = ...) -> None: ...

class InfractionReport(_message.Message):
    __slots__ = ("id", "dict_id", "status", "role", "transaction_id", "reason", "situation_type", "contact_email", "contact_phone", "report_details", "reporter_participant", "counterparty_participant", "analysis_result", "analysis_details", "fraud_type", "fraud_marker_dict_id", "dict_created_at", "last_modified", "closed_at", "analysis_deadline", "refund_deadline", "request_id", "failure_code", "intent", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    FRAUD_MARKER_DICT_ID_FIELD_NUMBER: _ClassVar[int]
    DICT_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REFUND_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    dict_id: str
    status: str
    role: str
    transaction_id: str
    reason: str
    situation_type: str
    contact_email: str
    contact_phone: str
    report_details: str
    reporter_participant: str
    counterparty_participant: str
    analysis_result: str
    analysis_details: str
    fraud_type: str
    fraud_marker_dict_id: str
    dict_created_at: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    analysis_deadline: _timestamp_pb2.Timestamp
    refund_deadline: _timestamp_pb2.Timestamp
    request_id: str
    failure_code: str
    intent: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., dict_id: _Optional[str] = ..., status: _Optional[str] = ..., role: _Optional[str] = ..., transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., situation_type: _Optional[str] = ..., contact_email: _Optional[str] = ..., contact_phone: _Optional[str] = ..., report_details: _Optional[str] = ..., reporter_participant: _Optional[str] = ..., counterparty_participant: _Optional[str] = ..., analysis_result: _Optional[str] = ..., analysis_details: _Optional[str] = ..., fraud_type: _Optional[str] = ..., fraud_marker_dict_id: _Optional[str] = ..., dict_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., analysis_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refund_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., failure_code: _Optional[str] = ..., intent: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenInfractionReportRequest(_message.Message):
    __slots__ = ("transaction_id", "situation_type", "email", "phone", "report_details", "request_id")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    situation_type: str
    email: str
    phone: str
    report_details: str
    request_id: str
    def __init__(self, transaction_id: _Optional[str] = ..., situation_type: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., report_details: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class OpenInfractionReportResponse(_message.Message):
    __slots__ = ("report", "replayed")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    report: InfractionReport
    replayed: bool
    def __init__(self, report: _Optional[_Union[InfractionReport, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class MedIdRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListMedRequest(_message.Message):
    __slots__ = ("role", "status", "page_size", "page_token")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    role: str
    status: str
    page_size: int
    page_token: str
    def __init__(self, role: _Optional[str] = ..., status: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInfractionReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[InfractionReport]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[InfractionReport, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateInfractionReportRequest(_message.Message):
    __slots__ = ("id", "situation_type", "email", "phone", "report_details")
    ID_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    situation_type: str
    email: str
    phone: str
    report_details: str
    def __init__(self, id: _Optional[str] = ..., situation_type: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., report_details: _Optional[str] = ...) -> None: ...

class CloseInfractionReportRequest(_message.Message):
    __slots__ = ("id", "analysis_result", "fraud_type", "analysis_details")
    ID_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    analysis_result: str
    fraud_type: str
    analysis_details: str
    def __init__(self, id: _Optional[str] = ..., analysis_result: _Optional[str] = ..., fraud_type: _Optional[str] = ..., analysis_details: _Optional[str] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("id", "dict_id", "status", "role", "transaction_id", "reason", "amount", "details", "infraction_report_id", "infraction_report_dict_id", "requesting_participant", "contested_participant", "analysis_result", "analysis_details", "rejection_reason", "refund_transaction_id", "dict_created_at", "last_modified", "request_id", "failure_code", "intent", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    INFRACTION_REPORT_DICT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTING_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CONTESTED_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    DICT_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    dict_id: str
    status: str
    role: str
    transaction_id: str
    reason: str
    amount: str
    details: str
    infraction_report_id: str
    infraction_report_dict_id: str
    requesting_participant: str
    contested_participant: str
    analysis_result: str
    analysis_details: str
    rejection_reason: str
    refund_transaction_id: str
    dict_created_at: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    request_id: str
    failure_code: str
    intent: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., dict_id: _Optional[str] = ..., status: _Optional[str] = ..., role: _Optional[str] = ..., transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., amount: _Optional[str] = ..., details: _Optional[str] = ..., infraction_report_id: _Optional[str] = ..., infraction_report_dict_id: _Optional[str] = ..., requesting_participant: _Optional[str] = ..., contested_participant: _Optional[str] = ..., analysis_result: _Optional[str] = ..., analysis_details: _Optional[str] = ..., rejection_reason: _Optional[str] = ..., refund_transaction_id: _Optional[str] = ..., dict_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., failure_code: _Optional[str] = ..., intent: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestRefundRequest(_message.Message):
    __slots__ = ("transaction_id", "reason", "amount", "details", "request_id")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    reason: str
    amount: str
    details: str
    request_id: str
    def __init__(self, transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., amount: _Optional[str] = ..., details: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestRefundResponse(_message.Message):
    __slots__ = ("refund", "replayed")
    REFUND_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    replayed: bool
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListRefundsResponse(_message.Message):
    __slots__ = ("refunds", "next_page_token")
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    next_page_token: str
    def __init__(self, refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CloseRefundRequest(_message.Message):
    __slots__ = ("id", "result", "refund_transaction_id", "rejection_reason", "details")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REFUND_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    result: str
    refund_transaction_id: str
    rejection_reason: str
    details: str
    def __init__(self, id: _Optional[str] = ..., result: _Optional[str] = ..., refund_transaction_id: _Optional[str] = ..., rejection_reason: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class FraudMarker(_message.Message):
    __slots__ = ("id", "dict_id", "status", "tax_id", "key", "fraud_type", "request_id", "failure_code", "intent", "dict_created_at", "last_modified", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    DICT_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    dict_id: str
    status: str
    tax_id: str
    key: str
    fraud_type: str
    request_id: str
    failure_code: str
    intent: str
    dict_created_at: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., dict_id: _Optional[str] = ..., status: _Optional[str] = ..., tax_id: _Optional[str] = ..., key: _Optional[str] = ..., fraud_type: _Optional[str] = ..., request_id: _Optional[str] = ..., failure_code: _Optional[str] = ..., intent: _Optional[str] = ..., dict_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFraudMarkerRequest(_message.Message):
    __slots__ = ("tax_id", "key", "fraud_type", "request_id")
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    tax_id: str
    key: str
    fraud_type: str
    request_id: str
    def __init__(self, tax_id: _Optional[str] = ..., key: _Optional[str] = ..., fraud_type: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateFraudMarkerResponse(_message.Message):
    __slots__ = ("marker", "replayed")
    MARKER_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    marker: FraudMarker
    replayed: bool
    def __init__(self, marker: _Optional[_Union[FraudMarker, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListFraudMarkersResponse(_message.Message):
    __slots__ = ("markers", "next_page_token")
    MARKERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    markers: _containers.RepeatedCompositeFieldContainer[FraudMarker]
    next_page_token: str
    def __init__(self, markers: _Optional[_Iterable[_Union[FraudMarker, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LookupKeyRequest(_message.Message):
    __slots__ = ("key", "include_statistics", "payer_account_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    PAYER_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    include_statistics: bool
    payer_account_id: int
    def __init__(self, key: _Optional[str] = ..., include_statistics: _Optional[bool] = ..., payer_account_id: _Optional[int] = ...) -> None: ...

class LookupKeyResponse(_message.Message):
    __slots__ = ("key", "key_type", "person_type", "name", "trade_name", "tax_id", "ispb", "end_to_end_id", "statistics", "statistics_absent_reason")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    PERSON_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRADE_NAME_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    ISPB_FIELD_NUMBER: _ClassVar[int]
    END_TO_END_ID_FIELD_NUMBER: _ClassVar[int]
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    STATISTICS_ABSENT_REASON_FIELD_NUMBER: _ClassVar[int]
    key: str
    key_type: KeyType
    person_type: PersonType
    name: str
    trade_name: str
    tax_id: str
    ispb: str
    end_to_end_id: str
    statistics: LookupStatistics
    statistics_absent_reason: str
    def __init__(self, key: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., person_type: _Optional[_Union[PersonType, str]] = ..., name: _Optional[str] = ..., trade_name: _Optional[str] = ..., tax_id: _Optional[str] = ..., ispb: _Optional[str] = ..., end_to_end_id: _Optional[str] = ..., statistics: _Optional[_Union[LookupStatistics, _Mapping]] = ..., statistics_absent_reason: _Optional[str] = ...) -> None: ...

class WindowedValue(_message.Message):
    __slots__ = ("d90", "m12", "m60")
    D90_FIELD_NUMBER: _ClassVar[int]
    M12_FIELD_NUMBER: _ClassVar[int]
    M60_FIELD_NUMBER: _ClassVar[int]
    d90: int
    m12: int
    m60: int
    def __init__(self, d90: _Optional[int] = ..., m12: _Optional[int] = ..., m60: _Optional[int] = ...) -> None: ...

class Statistics(_message.Message):
    __slots__ = ("watermark", "settlements", "application_frauds", "mule_accounts", "scammer_accounts", "other_frauds", "unknown_frauds", "total_fraud_transaction_amount", "distinct_fraud_reporters", "open_reports", "open_reports_distinct_reporters", "rejected_reports", "accounts")
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FRAUDS_FIELD_NUMBER: _ClassVar[int]
    MULE_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    SCAMMER_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    OTHER_FRAUDS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FRAUDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FRAUD_TRANSACTION_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_FRAUD_REPORTERS_FIELD_NUMBER: _ClassVar[int]
    OPEN_REPORTS_FIELD_NUMBER: _ClassVar[int]
    OPEN_REPORTS_DISTINCT_REPORTERS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_REPORTS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    watermark: _timestamp_pb2.Timestamp
    settlements: WindowedValue
    application_frauds: WindowedValue
    mule_accounts: WindowedValue
    scammer_accounts: WindowedValue
    other_frauds: WindowedValue
    unknown_frauds: WindowedValue
    total_fraud_transaction_amount: WindowedValue
    distinct_fraud_reporters: WindowedValue
    open_reports: int
    open_reports_distinct_reporters: int
    rejected_reports: WindowedValue
    accounts: WindowedValue
    def __init__(self, watermark: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., settlements: _Optional[_Union[WindowedValue, _Mapping]] = ..., application_frauds: _Optional[_Union[WindowedValue, _Mapping]] = ..., mule_accounts: _Optional[_Union[WindowedValue, _Mapping]] = ..., scammer_accounts: _Optional[_Union[WindowedValue, _Mapping]] = ..., other_frauds: _Optional[_Union[WindowedValue, _Mapping]] = ..., unknown_frauds: _Optional[_Union[WindowedValue, _Mapping]] = ..., total_fraud_transaction_amount: _Optional[_Union[WindowedValue, _Mapping]] = ..., distinct_fraud_reporters: _Optional[_Union[WindowedValue, _Mapping]] = ..., open_reports: _Optional[int] = ..., open_reports_distinct_reporters: _Optional[int] = ..., rejected_reports: _Optional[_Union[WindowedValue, _Mapping]] = ..., accounts: _Optional[_Union[WindowedValue, _Mapping]] = ...) -> None: ...

class LookupStatistics(_message.Message):
    __slots__ = ("key", "owner")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    key: Statistics
    owner: Statistics
    def __init__(self, key: _Optional[_Union[Statistics, _Mapping]] = ..., owner: _Optional[_Union[Statistics, _Mapping]] = ...) -> None: ...

class HealthCheckRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthCheckResponse(_message.Message):
    __slots__ = ("status", "database", "cache", "connect", "pulsar")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    PULSAR_FIELD_NUMBER: _ClassVar[int]
    status: ServingStatus
    database: str
    cache: str
    connect: str
    pulsar: str
    def __init__(self, status: _Optional[_Union[ServingStatus, str]] = ..., database: _Optional[str] = ..., cache: _Optional[str] = ..., connect: _Optional[str] = ..., pulsar: _Optional[str] = ...) -> None: ...

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

class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_UNSPECIFIED: _ClassVar[Reason]
    USER_REQUESTED: _ClassVar[Reason]
    ACCOUNT_CLOSURE: _ClassVar[Reason]
    BRANCH_TRANSFER: _ClassVar[Reason]
    RECONCILIATION: _ClassVar[Reason]
    FRAUD: _ClassVar[Reason]
    RFB_VALIDATION: _ClassVar[Reason]
    DEFAULT_OPERATION: _ClassVar[Reason]

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

class ClaimParty(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_PARTY_UNSPECIFIED: _ClassVar[ClaimParty]
    DONOR: _ClassVar[ClaimParty]
    CLAIMER: _ClassVar[ClaimParty]
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
REASON_UNSPECIFIED: Reason
USER_REQUESTED: Reason
ACCOUNT_CLOSURE: Reason
BRANCH_TRANSFER: Reason
RECONCILIATION: Reason
FRAUD: Reason
RFB_VALIDATION: Reason
DEFAULT_OPERATION: Reason
CLAIM_TYPE_UNSPECIFIED: ClaimType
OWNERSHIP: ClaimType
PORTABILITY: ClaimType
CLAIM_STATUS_UNSPECIFIED: ClaimStatus
OPEN: ClaimStatus
WAITING_RESOLUTION: ClaimStatus
CONFIRMED: ClaimStatus
CANCELLED: ClaimStatus
COMPLETED: ClaimStatus
CLAIM_PARTY_UNSPECIFIED: ClaimParty
DONOR: ClaimParty
CLAIMER: ClaimParty

class BrazilianAccount(_message.Message):
    __slots__ = ("participant", "branch", "account_number", "account_type", "opening_date")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPENING_DATE_FIELD_NUMBER: _ClassVar[int]
    participant: str
    branch: str
    account_number: str
    account_type: AccountType
    opening_date: _timestamp_pb2.Timestamp
    def __init__(self, participant: _Optional[str] = ..., branch: _Optional[str] = ..., account_number: _Optional[str] = ..., account_type: _Optional[_Union[AccountType, str]] = ..., opening_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Person(_message.Message):
    __slots__ = ("type", "tax_id_number", "name", "trade_name")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRADE_NAME_FIELD_NUMBER: _ClassVar[int]
    type: PersonType
    tax_id_number: str
    name: str
    trade_name: str
    def __init__(self, type: _Optional[_Union[PersonType, str]] = ..., tax_id_number: _Optional[str] = ..., name: _Optional[str] = ..., trade_name: _Optional[str] = ...) -> None: ...

class Entry(_message.Message):
    __slots__ = ("key", "key_type", "account", "owner", "creation_date", "key_ownership_date", "open_claim_creation_date")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CREATION_DATE_FIELD_NUMBER: _ClassVar[int]
    KEY_OWNERSHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_CLAIM_CREATION_DATE_FIELD_NUMBER: _ClassVar[int]
    key: str
    key_type: KeyType
    account: BrazilianAccount
    owner: Person
    creation_date: _timestamp_pb2.Timestamp
    key_ownership_date: _timestamp_pb2.Timestamp
    open_claim_creation_date: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., account: _Optional[_Union[BrazilianAccount, _Mapping]] = ..., owner: _Optional[_Union[Person, _Mapping]] = ..., creation_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_ownership_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open_claim_creation_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateEntryRequest(_message.Message):
    __slots__ = ("entry", "reason", "request_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    reason: Reason
    request_id: str
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., reason: _Optional[_Union[Reason, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateEntryResponse(_message.Message):
    __slots__ = ("entry", "correlation_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    correlation_id: str
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class GetEntryRequest(_message.Message):
    __slots__ = ("key", "payer_id", "end_to_end_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    END_TO_END_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    payer_id: str
    end_to_end_id: str
    def __init__(self, key: _Optional[str] = ..., payer_id: _Optional[str] = ..., end_to_end_id: _Optional[str] = ...) -> None: ...

class GetEntryResponse(_message.Message):
    __slots__ = ("entry", "correlation_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    correlation_id: str
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class UpdateEntryRequest(_message.Message):
    __slots__ = ("key", "account", "owner", "reason")
    KEY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key: str
    account: BrazilianAccount
    owner: Person
    reason: Reason
    def __init__(self, key: _Optional[str] = ..., account: _Optional[_Union[BrazilianAccount, _Mapping]] = ..., owner: _Optional[_Union[Person, _Mapping]] = ..., reason: _Optional[_Union[Reason, str]] = ...) -> None: ...

class UpdateEntryResponse(_message.Message):
    __slots__ = ("entry", "correlation_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    correlation_id: str
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class DeleteEntryRequest(_message.Message):
    __slots__ = ("key", "participant", "reason")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key: str
    participant: str
    reason: Reason
    def __init__(self, key: _Optional[str] = ..., participant: _Optional[str] = ..., reason: _Optional[_Union[Reason, str]] = ...) -> None: ...

class DeleteEntryResponse(_message.Message):
    __slots__ = ("key", "correlation_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    correlation_id: str
    def __init__(self, key: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class CheckSyncRequest(_message.Message):
    __slots__ = ("key_type", "participant_sync_verifier")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_SYNC_VERIFIER_FIELD_NUMBER: _ClassVar[int]
    key_type: KeyType
    participant_sync_verifier: str
    def __init__(self, key_type: _Optional[_Union[KeyType, str]] = ..., participant_sync_verifier: _Optional[str] = ...) -> None: ...

class CheckSyncResponse(_message.Message):
    __slots__ = ("result", "directory_sync_verifier", "correlation_id")
    class Result(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        RESULT_UNSPECIFIED: _ClassVar[CheckSyncResponse.Result]
        OK: _ClassVar[CheckSyncResponse.Result]
        NOK: _ClassVar[CheckSyncResponse.Result]
    RESULT_UNSPECIFIED: CheckSyncResponse.Result
    OK: CheckSyncResponse.Result
    NOK: CheckSyncResponse.Result
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_SYNC_VERIFIER_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    result: CheckSyncResponse.Result
    directory_sync_verifier: str
    correlation_id: str
    def __init__(self, result: _Optional[_Union[CheckSyncResponse.Result, str]] = ..., directory_sync_verifier: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class ListCidsRequest(_message.Message):
    __slots__ = ("key_type", "page_size", "page_token")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    key_type: KeyType
    page_size: int
    page_token: str
    def __init__(self, key_type: _Optional[_Union[KeyType, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCidsResponse(_message.Message):
    __slots__ = ("cids", "next_page_token")
    CIDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cids: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    def __init__(self, cids: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetEntryByCidRequest(_message.Message):
    __slots__ = ("cid",)
    CID_FIELD_NUMBER: _ClassVar[int]
    cid: str
    def __init__(self, cid: _Optional[str] = ...) -> None: ...

class GetEntryByCidResponse(_message.Message):
    __slots__ = ("cid", "entry", "request_id", "correlation_id")
    CID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    cid: str
    entry: Entry
    request_id: str
    correlation_id: str
    def __init__(self, cid: _Optional[str] = ..., entry: _Optional[_Union[Entry, _Mapping]] = ..., request_id: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("id", "type", "key", "key_type", "claimer_account", "claimer", "donor_participant", "status", "creation_date", "resolution_period_end", "completion_period_end", "last_modified", "confirm_reason", "cancel_reason", "cancelled_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLAIMER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CLAIMER_FIELD_NUMBER: _ClassVar[int]
    DONOR_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATION_DATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_REASON_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: ClaimType
    key: str
    key_type: KeyType
    claimer_account: BrazilianAccount
    claimer: Person
    donor_participant: str
    status: ClaimStatus
    creation_date: _timestamp_pb2.Timestamp
    resolution_period_end: _timestamp_pb2.Timestamp
    completion_period_end: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    confirm_reason: Reason
    cancel_reason: Reason
    cancelled_by: ClaimParty
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[ClaimType, str]] = ..., key: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., claimer_account: _Optional[_Union[BrazilianAccount, _Mapping]] = ..., claimer: _Optional[_Union[Person, _Mapping]] = ..., donor_participant: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., creation_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completion_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_reason: _Optional[_Union[Reason, str]] = ..., cancel_reason: _Optional[_Union[Reason, str]] = ..., cancelled_by: _Optional[_Union[ClaimParty, str]] = ...) -> None: ...

class CreateClaimRequest(_message.Message):
    __slots__ = ("type", "key", "key_type", "claimer_account", "claimer")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLAIMER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CLAIMER_FIELD_NUMBER: _ClassVar[int]
    type: ClaimType
    key: str
    key_type: KeyType
    claimer_account: BrazilianAccount
    claimer: Person
    def __init__(self, type: _Optional[_Union[ClaimType, str]] = ..., key: _Optional[str] = ..., key_type: _Optional[_Union[KeyType, str]] = ..., claimer_account: _Optional[_Union[BrazilianAccount, _Mapping]] = ..., claimer: _Optional[_Union[Person, _Mapping]] = ...) -> None: ...

class ClaimIdRequest(_message.Message):
    __slots__ = ("claim_id",)
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    def __init__(self, claim_id: _Optional[str] = ...) -> None: ...

class ClaimReasonRequest(_message.Message):
    __slots__ = ("claim_id", "reason")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    reason: Reason
    def __init__(self, claim_id: _Optional[str] = ..., reason: _Optional[_Union[Reason, str]] = ...) -> None: ...

class CompleteClaimRequest(_message.Message):
    __slots__ = ("claim_id", "request_id")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    request_id: str
    def __init__(self, claim_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ClaimResponse(_message.Message):
    __slots__ = ("claim", "correlation_id")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    correlation_id: str
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class CompleteClaimResponse(_message.Message):
    __slots__ = ("claim", "entry_creation_date", "key_ownership_date", "correlation_id")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    ENTRY_CREATION_DATE_FIELD_NUMBER: _ClassVar[int]
    KEY_OWNERSHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    entry_creation_date: _timestamp_pb2.Timestamp
    key_ownership_date: _timestamp_pb2.Timestamp
    correlation_id: str
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ..., entry_creation_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_ownership_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("is_donor", "is_claimer", "status", "type", "modified_after", "modified_before", "limit")
    IS_DONOR_FIELD_NUMBER: _ClassVar[int]
    IS_CLAIMER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    is_donor: bool
    is_claimer: bool
    status: _containers.RepeatedScalarFieldContainer[ClaimStatus]
    type: ClaimType
    modified_after: _timestamp_pb2.Timestamp
    modified_before: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, is_donor: _Optional[bool] = ..., is_claimer: _Optional[bool] = ..., status: _Optional[_Iterable[_Union[ClaimStatus, str]]] = ..., type: _Optional[_Union[ClaimType, str]] = ..., modified_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., modified_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "has_more_elements")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    has_more_elements: bool
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., has_more_elements: _Optional[bool] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("serving", "now")
    SERVING_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    serving: bool
    now: _timestamp_pb2.Timestamp
    def __init__(self, serving: _Optional[bool] = ..., now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

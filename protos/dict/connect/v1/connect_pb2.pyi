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
    __slots__ = ("key", "payer_id", "end_to_end_id", "include_statistics")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    END_TO_END_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    key: str
    payer_id: str
    end_to_end_id: str
    include_statistics: bool
    def __init__(self, key: _Optional[str] = ..., payer_id: _Optional[str] = ..., end_to_end_id: _Optional[str] = ..., include_statistics: _Optional[bool] = ...) -> None: ...

class GetEntryResponse(_message.Message):
    __slots__ = ("entry", "correlation_id", "key_statistics", "owner_statistics")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    OWNER_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    correlation_id: str
    key_statistics: Statistics
    owner_statistics: Statistics
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., correlation_id: _Optional[str] = ..., key_statistics: _Optional[_Union[Statistics, _Mapping]] = ..., owner_statistics: _Optional[_Union[Statistics, _Mapping]] = ...) -> None: ...

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

class InfractionReport(_message.Message):
    __slots__ = ("id", "transaction_id", "reason", "situation_type", "report_details", "contact_email", "contact_phone", "status", "reporter_participant", "counterparty_participant", "creation_time", "last_modified", "analysis_result", "analysis_details", "fraud_type", "fraud_marker_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    FRAUD_MARKER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    transaction_id: str
    reason: str
    situation_type: str
    report_details: str
    contact_email: str
    contact_phone: str
    status: str
    reporter_participant: str
    counterparty_participant: str
    creation_time: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    analysis_result: str
    analysis_details: str
    fraud_type: str
    fraud_marker_id: str
    def __init__(self, id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., situation_type: _Optional[str] = ..., report_details: _Optional[str] = ..., contact_email: _Optional[str] = ..., contact_phone: _Optional[str] = ..., status: _Optional[str] = ..., reporter_participant: _Optional[str] = ..., counterparty_participant: _Optional[str] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., analysis_result: _Optional[str] = ..., analysis_details: _Optional[str] = ..., fraud_type: _Optional[str] = ..., fraud_marker_id: _Optional[str] = ...) -> None: ...

class CreateInfractionReportRequest(_message.Message):
    __slots__ = ("transaction_id", "reason", "situation_type", "report_details", "contact_email", "contact_phone")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    reason: str
    situation_type: str
    report_details: str
    contact_email: str
    contact_phone: str
    def __init__(self, transaction_id: _Optional[str] = ..., reason: _Optional[str] = ..., situation_type: _Optional[str] = ..., report_details: _Optional[str] = ..., contact_email: _Optional[str] = ..., contact_phone: _Optional[str] = ...) -> None: ...

class InfractionReportIdRequest(_message.Message):
    __slots__ = ("infraction_report_id",)
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    infraction_report_id: str
    def __init__(self, infraction_report_id: _Optional[str] = ...) -> None: ...

class UpdateInfractionReportRequest(_message.Message):
    __slots__ = ("infraction_report_id", "situation_type", "report_details", "contact_email", "contact_phone")
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    SITUATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    infraction_report_id: str
    situation_type: str
    report_details: str
    contact_email: str
    contact_phone: str
    def __init__(self, infraction_report_id: _Optional[str] = ..., situation_type: _Optional[str] = ..., report_details: _Optional[str] = ..., contact_email: _Optional[str] = ..., contact_phone: _Optional[str] = ...) -> None: ...

class CloseInfractionReportRequest(_message.Message):
    __slots__ = ("infraction_report_id", "analysis_result", "fraud_type", "analysis_details")
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    infraction_report_id: str
    analysis_result: str
    fraud_type: str
    analysis_details: str
    def __init__(self, infraction_report_id: _Optional[str] = ..., analysis_result: _Optional[str] = ..., fraud_type: _Optional[str] = ..., analysis_details: _Optional[str] = ...) -> None: ...

class InfractionReportResponse(_message.Message):
    __slots__ = ("infraction_report", "correlation_id")
    INFRACTION_REPORT_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    infraction_report: InfractionReport
    correlation_id: str
    def __init__(self, infraction_report: _Optional[_Union[InfractionReport, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class ListInfractionReportsRequest(_message.Message):
    __slots__ = ("is_reporter", "is_counterparty", "status", "modified_after", "modified_before", "limit")
    IS_REPORTER_FIELD_NUMBER: _ClassVar[int]
    IS_COUNTERPARTY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    is_reporter: bool
    is_counterparty: bool
    status: _containers.RepeatedScalarFieldContainer[str]
    modified_after: _timestamp_pb2.Timestamp
    modified_before: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, is_reporter: _Optional[bool] = ..., is_counterparty: _Optional[bool] = ..., status: _Optional[_Iterable[str]] = ..., modified_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., modified_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListInfractionReportsResponse(_message.Message):
    __slots__ = ("infraction_reports", "has_more_elements")
    INFRACTION_REPORTS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    infraction_reports: _containers.RepeatedCompositeFieldContainer[InfractionReport]
    has_more_elements: bool
    def __init__(self, infraction_reports: _Optional[_Iterable[_Union[InfractionReport, _Mapping]]] = ..., has_more_elements: _Optional[bool] = ...) -> None: ...

class FraudMarker(_message.Message):
    __slots__ = ("id", "tax_id_number", "key", "fraud_type", "status", "participant", "creation_time", "last_modified", "infraction_report_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    tax_id_number: str
    key: str
    fraud_type: str
    status: str
    participant: str
    creation_time: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    infraction_report_id: str
    def __init__(self, id: _Optional[str] = ..., tax_id_number: _Optional[str] = ..., key: _Optional[str] = ..., fraud_type: _Optional[str] = ..., status: _Optional[str] = ..., participant: _Optional[str] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., infraction_report_id: _Optional[str] = ...) -> None: ...

class CreateFraudMarkerRequest(_message.Message):
    __slots__ = ("tax_id_number", "key", "fraud_type", "request_id")
    TAX_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FRAUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    tax_id_number: str
    key: str
    fraud_type: str
    request_id: str
    def __init__(self, tax_id_number: _Optional[str] = ..., key: _Optional[str] = ..., fraud_type: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class FraudMarkerIdRequest(_message.Message):
    __slots__ = ("fraud_marker_id",)
    FRAUD_MARKER_ID_FIELD_NUMBER: _ClassVar[int]
    fraud_marker_id: str
    def __init__(self, fraud_marker_id: _Optional[str] = ...) -> None: ...

class FraudMarkerResponse(_message.Message):
    __slots__ = ("fraud_marker", "correlation_id")
    FRAUD_MARKER_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    fraud_marker: FraudMarker
    correlation_id: str
    def __init__(self, fraud_marker: _Optional[_Union[FraudMarker, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class ListFraudMarkersRequest(_message.Message):
    __slots__ = ("tax_id_number", "key", "page_number", "items_per_page")
    TAX_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    PAGE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ITEMS_PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    tax_id_number: str
    key: str
    page_number: int
    items_per_page: int
    def __init__(self, tax_id_number: _Optional[str] = ..., key: _Optional[str] = ..., page_number: _Optional[int] = ..., items_per_page: _Optional[int] = ...) -> None: ...

class ListFraudMarkersResponse(_message.Message):
    __slots__ = ("fraud_markers", "has_more_elements")
    FRAUD_MARKERS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    fraud_markers: _containers.RepeatedCompositeFieldContainer[FraudMarker]
    has_more_elements: bool
    def __init__(self, fraud_markers: _Optional[_Iterable[_Union[FraudMarker, _Mapping]]] = ..., has_more_elements: _Optional[bool] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("id", "transaction_id", "refund_reason", "refund_amount", "refund_details", "status", "requesting_participant", "contested_participant", "creation_time", "last_modified", "infraction_report_id", "analysis_result", "analysis_details", "refund_rejection_reason", "refund_transaction_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_DETAILS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTING_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CONTESTED_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    INFRACTION_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REFUND_REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    transaction_id: str
    refund_reason: str
    refund_amount: str
    refund_details: str
    status: str
    requesting_participant: str
    contested_participant: str
    creation_time: _timestamp_pb2.Timestamp
    last_modified: _timestamp_pb2.Timestamp
    infraction_report_id: str
    analysis_result: str
    analysis_details: str
    refund_rejection_reason: str
    refund_transaction_id: str
    def __init__(self, id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., refund_reason: _Optional[str] = ..., refund_amount: _Optional[str] = ..., refund_details: _Optional[str] = ..., status: _Optional[str] = ..., requesting_participant: _Optional[str] = ..., contested_participant: _Optional[str] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., infraction_report_id: _Optional[str] = ..., analysis_result: _Optional[str] = ..., analysis_details: _Optional[str] = ..., refund_rejection_reason: _Optional[str] = ..., refund_transaction_id: _Optional[str] = ...) -> None: ...

class CreateRefundRequest(_message.Message):
    __slots__ = ("transaction_id", "refund_reason", "refund_amount", "refund_details")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_DETAILS_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    refund_reason: str
    refund_amount: str
    refund_details: str
    def __init__(self, transaction_id: _Optional[str] = ..., refund_reason: _Optional[str] = ..., refund_amount: _Optional[str] = ..., refund_details: _Optional[str] = ...) -> None: ...

class RefundIdRequest(_message.Message):
    __slots__ = ("refund_id",)
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    def __init__(self, refund_id: _Optional[str] = ...) -> None: ...

class CloseRefundRequest(_message.Message):
    __slots__ = ("refund_id", "refund_analysis_result", "refund_analysis_details", "refund_rejection_reason", "refund_transaction_id")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ANALYSIS_RESULT_FIELD_NUMBER: _ClassVar[int]
    REFUND_ANALYSIS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REFUND_REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    refund_analysis_result: str
    refund_analysis_details: str
    refund_rejection_reason: str
    refund_transaction_id: str
    def __init__(self, refund_id: _Optional[str] = ..., refund_analysis_result: _Optional[str] = ..., refund_analysis_details: _Optional[str] = ..., refund_rejection_reason: _Optional[str] = ..., refund_transaction_id: _Optional[str] = ...) -> None: ...

class RefundResponse(_message.Message):
    __slots__ = ("refund", "correlation_id")
    REFUND_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    correlation_id: str
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class ListRefundsRequest(_message.Message):
    __slots__ = ("participant_role", "status", "modified_after", "modified_before", "limit")
    PARTICIPANT_ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AFTER_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    participant_role: str
    status: _containers.RepeatedScalarFieldContainer[str]
    modified_after: _timestamp_pb2.Timestamp
    modified_before: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, participant_role: _Optional[str] = ..., status: _Optional[_Iterable[str]] = ..., modified_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., modified_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListRefundsResponse(_message.Message):
    __slots__ = ("refunds", "has_more_elements")
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    has_more_elements: bool
    def __init__(self, refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ..., has_more_elements: _Optional[bool] = ...) -> None: ...

import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NowRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TimeResponse(_message.Message):
    __slots__ = ("now",)
    NOW_FIELD_NUMBER: _ClassVar[int]
    now: _timestamp_pb2.Timestamp
    def __init__(self, now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SeedEntriesRequest(_message.Message):
    __slots__ = ("participant", "count", "start")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    participant: str
    count: int
    start: int
    def __init__(self, participant: _Optional[str] = ..., count: _Optional[int] = ..., start: _Optional[int] = ...) -> None: ...

class TamperRequest(_message.Message):
    __slots__ = ("participant", "key_type", "changes", "inserts")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    INSERTS_FIELD_NUMBER: _ClassVar[int]
    participant: str
    key_type: str
    changes: int
    inserts: int
    def __init__(self, participant: _Optional[str] = ..., key_type: _Optional[str] = ..., changes: _Optional[int] = ..., inserts: _Optional[int] = ...) -> None: ...

class KeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ...) -> None: ...

class SettleRequest(_message.Message):
    __slots__ = ("end_to_end_id", "payer_participant", "payer_tax_id", "receiver_key", "amount", "ago_seconds")
    END_TO_END_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    PAYER_TAX_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_KEY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    AGO_SECONDS_FIELD_NUMBER: _ClassVar[int]
    end_to_end_id: str
    payer_participant: str
    payer_tax_id: str
    receiver_key: str
    amount: str
    ago_seconds: int
    def __init__(self, end_to_end_id: _Optional[str] = ..., payer_participant: _Optional[str] = ..., payer_tax_id: _Optional[str] = ..., receiver_key: _Optional[str] = ..., amount: _Optional[str] = ..., ago_seconds: _Optional[int] = ...) -> None: ...

class SettleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

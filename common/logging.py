"""Log filters: attach the request id, and mask PII (CPF, CNPJ, phones, e-mails, names).

Masking works on the rendered message, so a careless f-string cannot leak a tax id.
"""

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from common.request_id import current_request_id

_EMAIL = re.compile(r"([A-Za-z0-9._%+!#$'*/=?^`{|}~-])[A-Za-z0-9._%+!#$'*/=?^`{|}~-]*@([A-Za-z0-9.-]+)")
_PHONE = re.compile(r"\+\d{6,15}")
_TAX_ID = re.compile(r"(?<![0-9a-f-])\d{11}(?:\d{3})?(?![0-9a-f-])")
_FORMATTED_TAX_ID = re.compile(r"\d{2,3}\.\d{3}\.\d{3}[-/]\d{2,4}(?:-\d{2})?")
# Any key in a lookup path (EVPs included, which look like any other UUID).
_LOOKUP_PATH = re.compile(r"(/lookup/)[^/\s?\"']+")
# Structured fields whose values are PII and are masked whole ("name" is the logger's own).
PII_FIELDS = frozenset({"holder_name", "owner_name", "trade_name", "tax_id", "key", "key_value", "phone", "email"})


def mask_pii(text: str) -> str:
    """Mask every CPF/CNPJ, phone and e-mail-looking token in ``text``."""
    text = _LOOKUP_PATH.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _PHONE.sub(lambda m: m.group(0)[:5] + "*" * (len(m.group(0)) - 7) + m.group(0)[-2:], text)
    text = _FORMATTED_TAX_ID.sub("***", text)
    return _TAX_ID.sub(lambda m: "*" * (len(m.group(0)) - 2) + m.group(0)[-2:], text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class MaskPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_pii(record.getMessage())
        record.args = None

        for field in PII_FIELDS & record.__dict__.keys():
            setattr(record, field, "***")
        return True


def request_line(request: Any) -> str:
    """A request as logs show it: ``<WSGIRequest: GET '/path/'>``, Django's repr without the query string.

    The query string may hold PII that mask_pii cannot recognise (a refused admin filter's
    ``?name__startswith=Maria``, a 5-digit tax-id prefix), so it is never written.
    """
    return f"<{type(request).__name__}: {request.method} {request.path!r}>"


class _RequestWithoutQuery(logging.Formatter):
    """Renders a ``request`` extra (Django's loggers add it) with request_line, on a copy of the record."""

    def format(self, record: logging.LogRecord) -> str:
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "method") and hasattr(request, "path"):
            record = logging.makeLogRecord({**record.__dict__, "request": request_line(request)})
        return super().format(record)


class AsWarningWithoutTraceback(logging.Filter):
    """For a logger whose ERROR is a client's mistake (a refused admin lookup): WARNING, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True


class MaskingFormatter(_RequestWithoutQuery, logging.Formatter):
    """Text lines; an exception's message may carry PII too, so tracebacks are masked here."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's API
        return mask_pii(super().formatException(ei))


class MaskingJsonFormatter(_RequestWithoutQuery, JsonFormatter):
    """JSON lines, with tracebacks masked like MaskingFormatter's.

    Every extra field is written out too (Django adds the ``request``, written as its method and
    path, which may hold a lookup's key), so every value is masked, not only the message.
    """

    def formatException(self, ei) -> str:  # noqa: N802 - logging's API
        return mask_pii(super().formatException(ei))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {name: _masked(value) for name, value in super().process_log_record(log_data).items()}


def _masked(value: Any) -> Any:
    """A JSON field's value with PII masked; objects are rendered as the JSON encoder would, then masked."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return mask_pii(str(value))

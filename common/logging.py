"""Logging for every process: one dictConfig, filters that attach the request id and mask PII
(CPF, CNPJ, phones, e-mails, names), and formatters that mask what the filters cannot reach.

Masking works on the rendered message, so a careless f-string cannot leak a tax id.
"""

import logging
import logging.config
import re
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from common.request_id import HEADER, current_request_id

_EMAIL = re.compile(r"([A-Za-z0-9._%+!#$'*/=?^`{|}~-])[A-Za-z0-9._%+!#$'*/=?^`{|}~-]*@([A-Za-z0-9.-]+)")
_PHONE = re.compile(r"\+\d{6,15}")
_TAX_ID = re.compile(r"(?<![0-9a-f-])\d{11}(?:\d{3})?(?![0-9a-f-])")
_FORMATTED_TAX_ID = re.compile(r"\d{2,3}\.\d{3}\.\d{3}[-/]\d{2,4}(?:-\d{2})?")
# Any key in a lookup path (EVPs included, which look like any other UUID).
_LOOKUP_PATH = re.compile(r"(/lookup/)[^/\s?\"']+")
# Control characters a message may carry from a request (a path with %0a or %00): escaped in text
# lines, so one record is one line and nobody forges another (log injection); JSON escapes them itself.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}
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
    """The id of the call this thread serves, unless the record carries its own (gunicorn's access lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class AccessRequestIdFilter(logging.Filter):
    """gunicorn's access line is written after the request has left Django: its id is the response's header."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, Mapping) else {}
        record.request_id = atoms.get(f"{{{HEADER.lower()}}}o") or "-"
        return True


def escape_controls(text: str) -> str:
    """``text`` on one line: newlines as ``\\n``, other control characters as ``\\xNN``."""
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(0), f"\\x{ord(m.group(0)):02x}"), text)


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
    """Text lines, masked whole: an exception's message may carry PII too, and a traceback another
    handler's formatter already rendered is reused from the record (``exc_text``) as it is. The line
    itself (not the traceback below it) has its control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        """Masked before it is escaped: an escape's hex digits (``\\x01``) must not join a CPF's."""
        return escape_controls(mask_pii(super().formatMessage(record)))


class MaskingJsonFormatter(_RequestWithoutQuery, JsonFormatter):
    """JSON lines with every field masked: the traceback (``exc_info``, from the exception or a
    rendered ``exc_text``) and every extra field (Django adds the ``request``, written as its method
    and path, which may hold a lookup's key; Celery adds a failed task's arguments), not only the message.
    """

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


# gunicorn's access line (on once it is handed a dictConfig): no query string (%(q)s, %(r)s) and no
# referer (%(f)s), which may hold PII mask_pii cannot recognise; the path is masked like any message.
ACCESS_LOG_FORMAT = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """The one dictConfig of every process: Django's LOGGING, gunicorn's ``logconfig_dict``; Celery keeps it.

    One console handler on the root masks and formats every line (``fmt`` "json" or text);
    gunicorn's loggers lose their own plain handlers and propagate to it.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "common.logging.RequestIdFilter"},
            "mask_pii": {"()": "common.logging.MaskPiiFilter"},
            "as_warning": {"()": "common.logging.AsWarningWithoutTraceback"},
            "access_request_id": {"()": "common.logging.AccessRequestIdFilter"},
        },
        "formatters": {
            "text": {
                "()": "common.logging.MaskingFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            },
            "json": {
                "()": "common.logging.MaskingJsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if fmt == "json" else "text",
                "filters": ["request_id", "mask_pii"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # A refused admin filter (PiiMaskingMixin.lookup_allowed) is a 400, not a server error.
            "django.security.DisallowedModelAdminLookup": {"filters": ["as_warning"]},
            # A Host not in ALLOWED_HOSTS (scanners, stray probes) is the client's 400, not our error.
            "django.security.DisallowedHost": {"filters": ["as_warning"]},
            "gunicorn.error": {"handlers": [], "propagate": True, "level": level},
            "gunicorn.access": {"handlers": [], "propagate": True, "level": level, "filters": ["access_request_id"]},
        },
    }


def configure(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: apply ``config``, and log warnings, which would print raw to stderr."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)

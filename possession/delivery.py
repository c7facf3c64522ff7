"""The delivery port: how a verification code reaches the phone or e-mail it proves.

E-mail goes through Django's e-mail backend (``EMAIL_BACKEND``: SMTP in a deployment, a file per message
under ``DATA_DIR/outbox/mail`` in the embedded default). SMS goes through the adapter
``settings.POSSESSION_SMS_SENDER`` names, a class with ``send(phone=, text=)``:

- ``FileSmsSender`` (the embedded default): one file per message under ``POSSESSION_SMS_DIR``, as Django's
  file e-mail backend does, so a demo user (and the end-to-end tests) read the code there;
- ``LoggingSmsSender`` (the default anywhere else, until a gateway's adapter is named): delivers nothing and
  logs a warning each time, with the number (masked by the log filters) and never the code;
- ``MemorySmsSender``: keeps messages in ``outbox``, as Django's locmem e-mail backend, for tests.

The code never reaches a log line: no adapter logs it, and the e-mail backends write no log.
"""

import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from dict_rules.keys import KeyType
from possession.domain import CODE_TTL

logger = logging.getLogger(__name__)

SUBJECT = "Your PIX key verification code"


def message_text(code: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return f"Your code to confirm this PIX key is {code}. It expires in {minutes} minutes. Never share it."


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class MemorySmsSender:
    """Messages kept in this process (tests read ``outbox``, as ``django.core.mail.outbox``)."""

    outbox: list[SmsMessage] = []
    _lock = threading.Lock()

    def send(self, *, phone: str, text: str) -> None:
        with self._lock:
            MemorySmsSender.outbox.append(SmsMessage(phone, text))


class FileSmsSender:
    """One file per message, readable by its owner only, in ``settings.POSSESSION_SMS_DIR``."""

    def send(self, *, phone: str, text: str) -> None:
        directory = Path(settings.POSSESSION_SMS_DIR)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{os.getpid()}-{threading.get_ident()}.sms"
        descriptor = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"To: {phone}\n\n{text}\n")


class LoggingSmsSender:
    """No gateway: says a code was sent (the number masked by the log filters), never the code."""

    def send(self, *, phone: str, text: str) -> None:
        logger.warning("no SMS gateway configured: a verification code for %s was not delivered", phone)


def sms_sender() -> SmsSender:
    return import_string(settings.POSSESSION_SMS_SENDER)()


def deliver(*, key_type: str, key: str, code: str) -> None:
    """Send ``code`` to the phone or e-mail ``key``; raises whatever the channel raises."""
    text = message_text(code)
    if key_type == KeyType.EMAIL:
        send_mail(SUBJECT, text, settings.DEFAULT_FROM_EMAIL, [key])
    else:
        sms_sender().send(phone=key, text=text)

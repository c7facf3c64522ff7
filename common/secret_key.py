"""The keys everything is signed with (Django's SECRET_KEY, the JWT key): strong, never a public value.

Only the embedded default (no server named, no production profile: settings.EMBEDDED) makes its own:
a random key kept in its data folder, readable by its owner only, so a restart keeps sessions and
tokens valid. Every other deployment must be given one; the settings refuse to load otherwise, so
no process starts on a key somebody else knows. "Strong" is what `check --deploy` asks (security.W009).
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

# Keys this repository once shipped as defaults: anybody can sign with them, whatever their length.
PUBLIC_KEYS = frozenset({"core-dict-embedded-default-insecure-key-change-me"})
GENERATE_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
KEY_FILE = "secret_key"


def weakness(value: str) -> str | None:
    """Why ``value`` must not sign anything, or None when it is strong."""
    if not value:
        return "is not set"
    if value in PUBLIC_KEYS or value.startswith(SECRET_KEY_INSECURE_PREFIX):
        return "is a public value"
    if len(value) < SECRET_KEY_MIN_LENGTH or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"is weak (under {SECRET_KEY_MIN_LENGTH} characters or {SECRET_KEY_MIN_UNIQUE_CHARACTERS} distinct ones)"
    return None


def strong_key(name: str, value: str) -> str:
    """``value`` when it is strong; otherwise ImproperlyConfigured, one line naming ``name`` and the fix."""
    reason = weakness(value)
    if reason:
        raise ImproperlyConfigured(f"{name} {reason}: set it to a random value, e.g. the output of {GENERATE_HINT}")
    return value


def embedded_key(data_dir: Path) -> str:
    """The embedded default's key: made once in ``data_dir`` (mode 0600), then read on every start."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor, draft = tempfile.mkstemp(dir=data_dir, prefix=f".{KEY_FILE}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50))
            # A hard link appears whole and never replaces a file: of two processes starting at once,
            # the first one's key wins and both read it.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return strong_key(str(path), path.read_text().strip())

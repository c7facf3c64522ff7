"""Secure by default: no public key, strong keys everywhere but the embedded default, HTTPS in production.

The settings are loaded in fresh processes (`manage.py`), as a deployment starts them: the rules act
while settings load, before any process serves.
"""

import os
import secrets
import stat
import subprocess
import sys

import pytest
from django.conf import settings

from common.secret_key import PUBLIC_KEYS, weakness
from tests.e2e_support import ROOT, RUNNER_ONLY, base_env, embedded_env, manage

pytestmark = pytest.mark.e2e

OLD_PUBLIC_KEY = "core-dict-embedded-default-insecure-key-change-me"


def deployment_env(**overrides: str | None) -> dict[str, str]:
    """A production-like environment: PostgreSQL, Redis, a strong key, no profile named (so: production).

    An override of None removes the variable.
    """
    env = {name: value for name, value in base_env().items() if not name.startswith(RUNNER_ONLY)}
    env.update(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=settings.REDIS_URL)
    env.update(SECRET_KEY=secrets.token_urlsafe(50))
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


STRONG_LOOKING = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6"  # 52 characters, many distinct


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", "is not set"),
        (OLD_PUBLIC_KEY, "is a public value"),
        ("django-insecure-" + STRONG_LOOKING, "is a public value"),  # startproject's throwaway keys
        (STRONG_LOOKING[:49], "is weak"),
        ("abcd" * 20, "is weak"),  # 80 characters, 4 distinct
    ],
    ids=["empty", "ours-once-public", "django-insecure", "49-characters", "4-distinct"],
)
def test_weak_keys_are_named(value: str, reason: str) -> None:
    assert weakness(value).startswith(reason)


def test_a_random_key_is_strong() -> None:
    assert weakness(secrets.token_urlsafe(50)) is None
    assert weakness(STRONG_LOOKING) is None
    assert OLD_PUBLIC_KEY in PUBLIC_KEYS


def test_production_defaults_pass_check_deploy_without_a_warning() -> None:
    done = manage(deployment_env(), "check", "--deploy", "--fail-level", "WARNING", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNINGS" not in done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_each_https_protection_can_be_turned_off_from_the_environment() -> None:
    """TLS ending at a proxy that redirects itself, and no HSTS yet: check --deploy names exactly those two."""
    env = deployment_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING", check=False)
    assert done.returncode != 0
    warned = {word.strip("():") for word in done.stderr.split() if word.startswith("(security.W")}
    assert warned == {"security.W004", "security.W008"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set: "),
        ({"SECRET_KEY": OLD_PUBLIC_KEY}, "SECRET_KEY is a public value: "),
        ({"SECRET_KEY": None, "DATABASE_URL": None, "DB_HOST": "127.0.0.1"}, "SECRET_KEY is not set: "),
        ({"JWT_SECRET_KEY": OLD_PUBLIC_KEY}, "JWT_SECRET_KEY is a public value: "),
        ({"JWT_SECRET_KEY": "change-me"}, "JWT_SECRET_KEY is weak "),
    ],
    ids=["missing", "public", "missing-with-DB_HOST", "public-jwt", "weak-jwt"],
)
def test_a_deployment_without_a_strong_key_refuses_to_start(overrides: dict[str, str | None], message: str) -> None:
    done = manage(deployment_env(**overrides), "check", check=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"django.core.exceptions.ImproperlyConfigured: {message}"), done.stderr
    assert "secrets.token_urlsafe(50)" in last  # how to make one


@pytest.mark.parametrize(
    "server", [{"DJANGO_ENV": "production"}, {"CONNECT_URL": "dict.example:443"}, {"REDIS_URL": "redis://cache:6379/0"}]
)
def test_without_a_database_url_but_not_embedded_there_is_no_made_up_key(tmp_path, server: dict[str, str]) -> None:
    """The production profile, or any server named, is a deployment: no key, no start (and no key file)."""
    done = manage(embedded_env(tmp_path, **server), "check", check=False)
    assert done.returncode != 0
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set: ")
    )
    assert not (tmp_path / "secret_key").exists()


def test_the_embedded_default_refuses_a_public_key_it_is_given(tmp_path) -> None:
    done = manage(embedded_env(str(tmp_path), SECRET_KEY=OLD_PUBLIC_KEY), "check", check=False)
    assert done.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is a public value: " in done.stderr


PRINT_KEYS = "from django.conf import settings; print(settings.SECRET_KEY, settings.SIMPLE_JWT['SIGNING_KEY'])"


def keys_seen(processes: list[subprocess.Popen]) -> list[list[str]]:
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * len(processes), outputs
    return [stdout.split()[-2:] for stdout, _ in outputs]


def start_shell(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "shell", "-c", PRINT_KEYS]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_embedded_default_makes_its_key_once_and_keeps_it(tmp_path) -> None:
    data_dir, other_dir = tmp_path / "data", tmp_path / "other"
    env = embedded_env(str(data_dir))
    first, second = keys_seen([start_shell(env), start_shell(env)])  # two first starts at once
    key_file = data_dir / "secret_key"
    (key,) = {*first, *second}  # one key, for Django and for the JWTs, in both processes
    assert key_file.read_text() == key and weakness(key) is None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    made = key_file.stat()
    [later] = keys_seen([start_shell(env)])  # a restart reads it
    assert later == [key, key]
    assert (key_file.stat().st_ino, key_file.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)
    [elsewhere] = keys_seen([start_shell(embedded_env(str(other_dir)))])
    assert elsewhere[0] != key  # random per data folder, not a constant

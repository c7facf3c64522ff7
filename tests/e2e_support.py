"""Helpers for end-to-end tests that run the real processes (gunicorn, run_dictsim) on loopback."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from django.conf import settings
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**overrides: str) -> dict[str, str]:
    """This environment without any service settings, plus ``overrides``."""
    prefixes = ("DATABASE_", "DB_", "REDIS_", "CELERY_", "CONNECT_", "PULSAR_", "DICT_", "DJANGO_SETTINGS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(overrides)
    return env


# The runner's own profile, keys and listen addresses, which must not leak into a deployment under test.
RUNNER_ONLY = ("DJANGO_ENV", "SECRET_KEY", "JWT_SECRET_KEY", "SECURE_", "SESSION_COOKIE_", "CSRF_")


def embedded_env(data_dir: Path | str, **overrides: str) -> dict[str, str]:
    """The embedded default on ``data_dir``: no server named, nothing secret given, loopback binds."""
    env = {
        name: value
        for name, value in base_env(DATA_DIR=str(data_dir)).items()
        if not name.startswith(RUNNER_ONLY) and not name.endswith("_BIND")
    }
    return {**env, **overrides}


def shared_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's), for processes that must share its rows."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def self_signed_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A PEM certificate for ``localhost`` (valid one day) and its key, made by openssl: (cert, key)."""
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", f"/CN=localhost/O={name}", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=check, capture_output=True, text=True
    )


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")  # what it reads; the schema view answers YAML otherwise
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30, log: IO[str] | None = None) -> None:
    """Wait until ``port`` accepts; a process that exits first is an error quoting its stderr (or ``log``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early: {_output_of(process, log)}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


def _output_of(process: subprocess.Popen, log: IO[str] | None) -> str:
    """What an exited process wrote: its ``log`` file (read from the start), else its stderr pipe."""
    if log is not None:
        log.seek(0)
        return log.read()
    return process.stderr.read() if process.stderr else ""


def grpc_services(port: int) -> set[str]:
    """The services a gRPC server on loopback lists over reflection, as grpcurl sees them."""
    listed = subprocess.run(
        [BIN / "grpcurl", "-plaintext", f"127.0.0.1:{port}", "list"], capture_output=True, text=True, timeout=30
    )
    assert listed.returncode == 0, listed.stderr
    return set(listed.stdout.split())


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``condition`` until it holds; the bound only keeps a broken run from hanging."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:g}s: {what}")
        time.sleep(0.25)


@contextmanager
def running(
    args: list[str], env: dict[str, str], port: int | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen]:
    """A background process (listening on ``port`` when given), stopped with SIGTERM on exit.

    With ``log`` its output goes to that file, else its stderr to an unnamed temporary file: never to a
    pipe nobody reads, which a chatty process fills (64 kB) and then blocks on.
    """
    with log.open("w+") if log else tempfile.TemporaryFile("w+") as output:
        stdout = output if log else subprocess.DEVNULL
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=stdout, stderr=output, text=True)
        try:
            if port is not None:
                wait_for_port(port, process, log=output)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def gunicorn(env: dict[str, str], port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "dict_project.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--no-control-socket",
    ]


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the test server, dropped afterwards; yields its URL."""
    db = settings.DATABASES["default"]
    name = f"e2e_{label}_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"], dbname="postgres"
    )
    admin.autocommit = True
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def outbox_env(outbox: Path) -> dict[str, str]:
    """Deliver verification codes to files under ``outbox`` (sms/, mail/), where a test reads them as the customer."""
    return {
        "POSSESSION_SMS_SENDER": "possession.delivery.FileSmsSender",
        "POSSESSION_SMS_DIR": str(outbox / "sms"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox / "mail"),
    }


def delivered_code(outbox: Path, key: str) -> str:
    """The last code delivered to ``key`` (a phone or an e-mail) in ``outbox`` (see ``outbox_env``)."""
    sent = sorted(
        (path for path in outbox.glob("*/*") if f"To: {key}\n" in path.read_text()), key=lambda p: p.stat().st_mtime_ns
    )
    assert sent, f"no code was delivered to {key}"
    return re.findall(r"(?<!\d)\d{6}(?!\d)", sent[-1].read_text())[-1]


@dataclass
class Instance:
    env: dict[str, str]
    base: str
    outbox: Path | None = None  # where its codes are delivered, with outbox_env

    def prove(self, token: str, key_type: str, key: str) -> str:
        """A confirmed possession challenge for ``key``, as the customer gets one: the code read where it was sent."""
        status, challenge = call(
            "POST", f"{self.base}/api/v1/keys/possession-challenges/", {"key_type": key_type, "key": key}, token
        )
        assert status == 201, challenge
        assert self.outbox is not None, "this instance was started without outbox_env"
        code = {"code": delivered_code(self.outbox, challenge["key"])}
        status, body = call(
            "POST", f"{self.base}/api/v1/keys/possession-challenges/{challenge['id']}/confirm/", code, token
        )
        assert (status, body.get("status")) == (200, "CONFIRMED"), body
        return challenge["id"]

    def token(self, username: str) -> str:
        credentials = {"username": username, "password": f"{username}-demo-pass"}
        status, body = call("POST", f"{self.base}/api/v1/auth/token/", credentials)
        assert status == 200, body
        return body["access"]

    def create(self, token: str, key_type: str, key: str | None = None, *, prove: bool = True) -> dict:
        """A key created over REST (201); a PHONE or EMAIL key with its possession proven first, unless ``prove``
        is false (then the answer, whatever it is, is returned)."""
        account_id = call("GET", f"{self.base}/api/v1/accounts/", token=token)[1]["results"][0]["id"]
        body = {"account_id": account_id, "key_type": key_type, "request_id": str(uuid.uuid4())}
        if key:
            body["key_value"] = key
        if key_type in ("PHONE", "EMAIL") and prove:
            body["possession_challenge_id"] = self.prove(token, key_type, key)
        status, entry = call("POST", f"{self.base}/api/v1/keys/", body, token)
        if prove:
            assert status == 201, entry
        return entry

    def key(self, token: str, entry_id: str) -> dict:
        return call("GET", f"{self.base}/api/v1/keys/{entry_id}/", token=token)[1]

    def account_at_dict(self, key: str) -> dict | None:
        """The account DICT answers for ``key`` to this PSP's lookup through its Connect client (what a
        payment would be sent to; the payer's API never shows it), or None when DICT has no such key."""
        lookup = (
            "import json\n"
            "from django.conf import settings\n"
            "from django.utils import timezone\n"
            "from connect.client import get_client\n"
            "from dict_rules.errors import NotFound\n"
            "from dict_rules.lookups import new_end_to_end_id\n"
            "e2e = new_end_to_end_id(ispb=settings.DICT_ISPB, at=timezone.now())\n"
            "try:\n"
            f"    account = get_client().get_entry(key={key!r}, payer_id='39053344705', end_to_end_id=e2e).account\n"
            "    print(json.dumps({'ispb': account.participant, 'number': account.number}))\n"
            "except NotFound:\n"
            "    print('null')\n"
        )
        return json.loads(manage(self.env, "shell", "-c", lookup).stdout.strip().splitlines()[-1])


@dataclass
class Directory:
    """run_dictsim on a fixed port, so it can be stopped and started again at the same address."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [sys.executable, "manage.py", "run_dictsim", "--bind", f"127.0.0.1:{self.port}", "--grace", "2"]
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            assert self.process.wait(timeout=30) == 0  # SIGTERM drains and exits cleanly
        self.process = None


@dataclass
class RedisServer:
    """A redis-server of the test's own on a fixed port that keeps nothing on disk, so one killed and
    started again comes back empty, as a broker without persistence does."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


@contextmanager
def two_psps(ispb_a: str, ispb_b: str, *, redis_db: int) -> Iterator[tuple["Directory", "Instance", "Instance"]]:
    """run_dictsim and two Core DICT instances on fresh databases, seeded with the demo users."""
    redis = f"redis://127.0.0.1:6379/{redis_db}"
    Redis.from_url(redis).flushdb()  # token buckets and caches of earlier runs
    with (
        scratch_database("dir") as dir_db,
        scratch_database("a") as a_db,
        scratch_database("b") as b_db,
        tempfile.TemporaryDirectory() as outboxes,
    ):
        directory = Directory(base_env(DATABASE_URL=dir_db, REDIS_URL=redis))
        manage(directory.env, "migrate", "--noinput")
        envs, outbox = [], {ispb_a: Path(outboxes) / "a", ispb_b: Path(outboxes) / "b"}
        for ispb, url in ((ispb_a, a_db), (ispb_b, b_db)):
            env = base_env(
                **outbox_env(outbox[ispb]),
                DATABASE_URL=url,
                REDIS_URL=redis,
                CELERY_TASK_ALWAYS_EAGER="1",
                CONNECT_URL=f"127.0.0.1:{directory.port}",
                CONNECT_DEADLINE_SEC="2",
                DICT_ISPB=ispb,
                RATE_LIMIT_RPS="0",
            )
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            envs.append(env)
        directory.start()
        port_a, port_b = free_port(), free_port()
        try:
            with (
                running(gunicorn(envs[0], port_a), envs[0], port_a),
                running(gunicorn(envs[1], port_b), envs[1], port_b),
            ):
                yield (
                    directory,
                    Instance(envs[0], f"http://127.0.0.1:{port_a}", outbox[ispb_a]),
                    Instance(envs[1], f"http://127.0.0.1:{port_b}", outbox[ispb_b]),
                )
        finally:
            directory.stop()

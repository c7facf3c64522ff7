"""With no configuration at all the service starts and serves on its embedded defaults.

A real gunicorn process on SQLite, the in-process cache and in-process tasks: the README's
`make run` scenario, end to end over HTTP on loopback.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.e2e


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_", "REDIS_", "CELERY_"))}
    env["DATA_DIR"] = str(data_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def embedded_server(tmp_path):
    env = embedded_env(tmp_path)
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "dict_project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if call("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert (tmp_path / "core_dict.sqlite3").exists()


def test_the_readme_scenario_on_embedded_defaults(embedded_server: str) -> None:
    base = embedded_server
    assert call("GET", f"{base}/readyz") == (200, {"status": "ok", "checks": {"database": "ok", "cache": "ok"}})
    status, tokens = call("POST", f"{base}/api/v1/auth/token/", {"username": "alice", "password": "alice-demo-pass"})
    assert status == 200
    token = tokens["access"]
    status, accounts = call("GET", f"{base}/api/v1/accounts/", token=token)
    assert status == 200
    account_id = accounts["results"][0]["id"]
    keys = [("EVP", None), ("EMAIL", "alice@example.com"), ("PHONE", "+5511987654321")]
    created = []
    for key_type, value in keys + [("EVP", None), ("EVP", None)]:
        body = {"account_id": account_id, "key_type": key_type, "request_id": str(uuid.uuid4())}
        if value:
            body["key_value"] = value
        status, entry = call("POST", f"{base}/api/v1/keys/", body, token)
        assert (status, entry["status"]) == (201, "ACTIVE")
        created.append(entry["id"])
    sixth = {"account_id": account_id, "key_type": "EVP", "request_id": str(uuid.uuid4())}
    status, problem = call("POST", f"{base}/api/v1/keys/", sixth, token)
    assert (status, problem["code"]) == (422, "EntryLimitExceeded")
    status, page = call("GET", f"{base}/api/v1/keys/", token=token)
    assert len(page["results"]) == 5
    status, deleted = call("DELETE", f"{base}/api/v1/keys/{created[0]}/", token=token)
    assert (status, deleted["status"]) == (200, "DELETED")
    status, schema = call("GET", f"{base}/api/schema/?format=json")
    assert status == 200 and "/api/v1/keys/" in schema["paths"]

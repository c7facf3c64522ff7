"""With no configuration at all the service starts and serves on its embedded defaults.

A real gunicorn process on SQLite, the in-process cache and in-process tasks: the README's
`make run` scenario, end to end over HTTP on loopback.
"""

import subprocess
import sys
import time
import uuid

import pytest

from tests.e2e_support import BIN, ROOT, base_env, call, delivered_code, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded_server(tmp_path):
    env = base_env(DATA_DIR=str(tmp_path))
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


def test_the_readme_scenario_on_embedded_defaults(embedded_server: str, tmp_path) -> None:
    base = embedded_server
    ready = {"status": "ok", "checks": {"database": "ok", "cache": "ok"}, "connect": "in-process"}
    assert call("GET", f"{base}/readyz") == (200, ready)
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
        if value:  # possession first: the embedded default delivers the code to a file in DATA_DIR/outbox
            body["key_value"] = value
            start = {"key_type": key_type, "key": value}
            challenge = call("POST", f"{base}/api/v1/keys/possession-challenges/", start, token)[1]
            code = {"code": delivered_code(tmp_path / "outbox", value)}
            confirm = f"{base}/api/v1/keys/possession-challenges/{challenge['id']}/confirm/"
            assert call("POST", confirm, code, token)[1]["status"] == "CONFIRMED"
            body["possession_challenge_id"] = challenge["id"]
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
    status, schema = call("GET", f"{base}/api/schema/")
    assert status == 200 and "/api/v1/keys/" in schema["paths"]

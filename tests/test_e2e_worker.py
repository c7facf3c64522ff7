"""Registration through a real Celery worker: the web process enqueues on commit to Redis, the worker registers.

gunicorn with a Redis broker (no eager tasks) and `celery worker` as separate processes; the
directory is the in-process dictsim on the instance's database (the embedded adapter).
"""

import time
import uuid

import pytest
from redis import Redis

from tests.e2e_support import BIN, base_env, call, free_port, gunicorn, manage, running, scratch_database

pytestmark = pytest.mark.e2e


def test_a_worker_registers_what_the_web_process_enqueued() -> None:
    broker = "redis://127.0.0.1:6379/8"
    Redis.from_url(broker).flushdb()
    with scratch_database("worker") as url:
        env = base_env(DATABASE_URL=url, REDIS_URL=broker, CELERY_TASK_ALWAYS_EAGER="0", RATE_LIMIT_RPS="0")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(gunicorn(env, port), env, port):
            credentials = {"username": "bob", "password": "bob-demo-pass"}
            token = call("POST", f"{base}/api/v1/auth/token/", credentials)[1]["access"]
            account_id = call("GET", f"{base}/api/v1/accounts/", token=token)[1]["results"][0]["id"]
            body = {"account_id": account_id, "key_type": "EVP", "request_id": str(uuid.uuid4())}
            status, entry = call("POST", f"{base}/api/v1/keys/", body, token)
            assert (status, entry["status"]) == (201, "PENDING")  # queued; no worker yet
            worker = [str(BIN / "celery"), "-A", "dict_project", "worker", "--pool", "solo", "-l", "warning"]
            with running(worker, env):
                seen = entry["status"]
                deadline = time.monotonic() + 60
                while seen == "PENDING" and time.monotonic() < deadline:
                    time.sleep(0.25)
                    seen = call("GET", f"{base}/api/v1/keys/{entry['id']}/", token=token)[1]["status"]
            assert seen == "ACTIVE"

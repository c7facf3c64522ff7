"""A worker that survives its broker: Redis, keeping nothing on disk, restarts empty under a worker that
holds countdown retries of registrations, and every key still ends ACTIVE with nobody restarting the worker.

Real processes on loopback: a redis-server of the test's own (broker and cache), gunicorn, `celery worker`
(as deployed: prefork, without gossip and mingle), `celery beat` with its schedule shortened, and
run_dictsim, started only after the restart so that until then registrations fail and are retried. The
retries the worker held are gone with the broker; beat's sync_pending re-drives the keys. The worker's
liveness check says alive after the recovery and dead once the worker is stopped.

Every wait is bounded; the bounds only keep CI from hanging, they are not what is tested.
"""

import subprocess
from pathlib import Path

import pytest
from celery import Celery

from tests.e2e_support import (
    BIN,
    Directory,
    Instance,
    RedisServer,
    base_env,
    free_port,
    gunicorn,
    manage,
    running,
    scratch_database,
    wait_until,
)

pytestmark = pytest.mark.e2e

KEYS = 4
SCHEDULE_SCALE = "0.05"  # beat sends sync_pending every 3 s, for work stuck longer than 3 s


def scheduled_retries(broker: str) -> int:
    """The countdown retries the worker holds, as `celery inspect scheduled` counts them."""
    app = Celery("probe", broker=broker, set_as_current=False)
    try:
        replies = app.control.inspect(timeout=1, limit=1).scheduled() or {}
    finally:
        app.close()
    return sum(len(tasks) for tasks in replies.values())


def worker_alive(env: dict[str, str]) -> subprocess.CompletedProcess:
    return manage(env, "worker_alive", check=False)


def celery(*args: str) -> list[str]:
    return [str(BIN / "celery"), "-A", "dict_project", *args, "--loglevel", "info"]


def test_a_worker_survives_its_broker_restarting_empty(tmp_path: Path) -> None:
    broker = RedisServer()
    broker.start()
    try:
        with scratch_database("broker") as url, scratch_database("broker_dir") as directory_url:
            directory = Directory(base_env(DATABASE_URL=directory_url))
            manage(directory.env, "migrate", "--noinput")
            env = base_env(
                DATABASE_URL=url,
                REDIS_URL=broker.url,
                CELERY_TASK_ALWAYS_EAGER="0",
                CONNECT_URL=f"127.0.0.1:{directory.port}",
                CONNECT_DEADLINE_SEC="1",
                CONNECT_BREAKER_OPEN_SEC="1",
                RATE_LIMIT_RPS="0",
                SCHEDULE_SCALE=SCHEDULE_SCALE,
                WORKER_HEARTBEAT_FILE=str(tmp_path / "worker.alive"),
                WORKER_HEARTBEAT_INTERVAL_SEC="0.5",
                TMPDIR=str(tmp_path),  # where kombu dumps the messages it could not restore
            )
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            port = free_port()
            worker_log = tmp_path / "worker.log"
            worker_args = celery("worker", "--concurrency", "2", "--without-gossip", "--without-mingle")
            beat_args = celery("beat", "--schedule", str(tmp_path / "beat-schedule"))
            with (
                running(gunicorn(env, port), env, port),
                running(worker_args, env, log=worker_log) as worker,
                running(beat_args, env, log=tmp_path / "beat.log"),
            ):
                web = Instance(env, f"http://127.0.0.1:{port}")
                token = web.token("acme")
                ids = [web.create(token, "EVP")["id"] for _ in range(KEYS)]

                def all_active() -> bool:
                    return all(web.key(token, entry_id)["status"] == "ACTIVE" for entry_id in ids)

                # Every key's retry waits in the worker: it is idle, its BRPOP armed, as when the testers saw it die.
                wait_until(lambda: scheduled_retries(broker.url) == KEYS, "the worker holds every key's retry")

                broker.kill()
                broker.start()  # on the same port, empty
                directory.start()
                try:
                    wait_until(lambda: worker.poll() is not None or all_active(), "every key ACTIVE", timeout=40)
                finally:
                    directory.stop()
                assert worker.poll() is None, worker_log.read_text()[-3000:]  # the same worker throughout
                assert "Connection to broker lost" in worker_log.read_text()
                alive = worker_alive(env)
                assert alive.returncode == 0, alive.stderr
            dead = worker_alive(env)
            assert dead.returncode == 1 and "worker dead" in dead.stderr, dead.stderr
    finally:
        broker.kill()

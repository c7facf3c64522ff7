"""A worker that survives its broker: Redis, keeping nothing on disk, restarts empty under a worker that
holds countdown retries of registrations, and every key still ends ACTIVE with nobody restarting the worker.

Real processes on loopback: a redis-server of the test's own (broker and cache), gunicorn, `celery worker`
(as deployed: prefork, without gossip and mingle), `celery beat` with its schedule shortened, and
run_dictsim, started only after the restart so that until then registrations fail and are retried. The
retries the worker held are gone with the broker; beat's sync_pending re-drives the keys. The worker's
liveness check says alive after the recovery and dead once the worker is stopped.

Every wait is bounded; the bounds only keep CI from hanging, they are not what is tested.
"""

import os
import signal
import subprocess
import time
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


def test_a_worker_waiting_for_its_broker_is_alive_and_a_stuck_one_is_not(tmp_path: Path) -> None:
    """Liveness must not restart workers for a broker outage: retrying the broker is progress."""
    broker = RedisServer()
    broker.start()
    try:
        with scratch_database("liveness") as url:
            env = base_env(
                DATABASE_URL=url,
                REDIS_URL=broker.url,
                CELERY_TASK_ALWAYS_EAGER="0",
                WORKER_HEARTBEAT_FILE=str(tmp_path / "worker.alive"),
                WORKER_HEARTBEAT_INTERVAL_SEC="0.5",  # worker_alive's limit: 1.5 s
            )
            worker_log = tmp_path / "worker.log"
            worker_args = celery("worker", "--pool", "solo", "--without-gossip", "--without-mingle")
            with running(worker_args, env, log=worker_log) as worker:
                wait_until(lambda: worker_alive(env).returncode == 0, "the worker alive on its broker")
                broker.kill()
                # kombu's retries come 2, 4, then 6 s apart: by the third, the broker has been gone for
                # 6 s, four times the limit, and the event loop has not turned since.
                retrying = "Trying again in 6.00 seconds"
                wait_until(lambda: retrying in worker_log.read_text(), "the worker retrying its broker", timeout=30)
                alive = worker_alive(env)
                assert alive.returncode == 0, alive.stderr
                os.kill(worker.pid, signal.SIGSTOP)  # stuck: neither its loop nor its retries move
                try:
                    wait_until(lambda: worker_alive(env).returncode == 1, "a stuck worker found dead")
                finally:
                    os.kill(worker.pid, signal.SIGCONT)
    finally:
        broker.kill()


def test_beat_ticks_without_its_broker(tmp_path: Path) -> None:
    """Beat's liveness is its own progress: ticks that fail to send while the broker is gone, and the
    retries of a beat that starts without one. Neither depends on Redis; a stopped beat goes stale."""
    broker = RedisServer()
    broker.start()
    env = base_env(REDIS_URL=broker.url, CELERY_BEAT_MAX_LOOP_INTERVAL="1", SCHEDULE_SCALE="0.01")

    def beat(name: str):
        heartbeat = tmp_path / f"{name}.alive"
        command = celery("beat", "--schedule", str(tmp_path / f"{name}-schedule"))
        beat_env = {**env, "BEAT_HEARTBEAT_FILE": str(heartbeat)}
        return heartbeat, running(command, beat_env, log=tmp_path / f"{name}.log"), beat_env

    def alive(beat_env: dict[str, str]) -> int:
        # beyond kombu's first retry gaps (2, 4, 6 s), which a beat starting without its broker waits out
        return manage(beat_env, "worker_alive", "--beat", "--max-age", "8", check=False).returncode

    try:
        heartbeat, started, beat_env = beat("running")
        with started as running_beat:
            wait_until(lambda: alive(beat_env) == 0, "beat alive")
            broker.kill()
            outage = time.time()
            log = tmp_path / "running.log"
            # Beat finds the broker gone either when a send fails, or when it reconnects and retries.
            failing = ("Couldn't apply scheduled task", "trying again")
            wait_until(lambda: any(line in log.read_text() for line in failing), "beat failing to send")
            wait_until(lambda: heartbeat.stat().st_mtime > outage + 3, "a tick 3 s into the outage")
            assert alive(beat_env) == 0

            late_heartbeat, late_start, late_env = beat("late")
            with late_start:
                late_log = tmp_path / "late.log"
                wait_until(lambda: "trying again in 6" in late_log.read_text(), "a beat retrying its broker")
                assert alive(late_env) == 0 and late_heartbeat.exists()

            os.kill(running_beat.pid, signal.SIGSTOP)
            try:
                wait_until(lambda: alive(beat_env) == 1, "a stuck beat found dead")
            finally:
                os.kill(running_beat.pid, signal.SIGCONT)
    finally:
        broker.kill()

"""A tampered directory entry is found by the scheduled check_sync and repaired; the next check is OK.

Real processes on loopback: run_dictsim (its own database), and one Core DICT instance as gunicorn,
a Celery worker and Celery beat on the instance's database, with a Redis broker of the test's own.
The directory is tampered with through its operator command (dictsim_tamper), as an operator would.
"""

from pathlib import Path

import psycopg
import pytest

from tests.e2e_support import (
    BIN,
    Directory,
    Instance,
    RedisServer,
    base_env,
    call,
    free_port,
    gunicorn,
    manage,
    running,
    scratch_database,
    wait_until,
)

pytestmark = pytest.mark.e2e

ISPB = "55555555"
BOB_CPF = "39053344705"  # seed_demo's bob
SYNC_EVERY_SEC = "2"


def last_check(database_url: str, key_type: str) -> tuple | None:
    """The instance's last recorded sync check of ``key_type``: (ok_before, repair, ok, updated_at_dict)."""
    with psycopg.connect(database_url) as db:
        return db.execute(
            "SELECT ok_before, repair, ok, updated_at_dict FROM keys_synccheck WHERE key_type = %s "
            "ORDER BY checked_at DESC, id DESC LIMIT 1",
            [key_type],
        ).fetchone()


def directory_account_number(database_url: str, key: str) -> str:
    with psycopg.connect(database_url) as db:
        return db.execute("SELECT account_number FROM dictsim_direntry WHERE key = %s", [key]).fetchone()[0]


def test_a_tampered_entry_is_repaired_by_the_scheduled_check(tmp_path: Path) -> None:
    broker = RedisServer()
    broker.start()
    try:
        with scratch_database("syncdir") as dir_db, scratch_database("synca") as a_db:
            directory = Directory(base_env(DATABASE_URL=dir_db, REDIS_URL=broker.url))
            manage(directory.env, "migrate", "--noinput")
            env = base_env(
                DATABASE_URL=a_db,
                REDIS_URL=broker.url,
                CELERY_TASK_ALWAYS_EAGER="0",
                CONNECT_URL=f"127.0.0.1:{directory.port}",
                CONNECT_DEADLINE_SEC="5",
                DICT_ISPB=ISPB,
                RATE_LIMIT_RPS="0",
                SYNC_CHECK_INTERVAL_SEC=SYNC_EVERY_SEC,
                WORKER_HEARTBEAT_FILE=str(tmp_path / "worker.alive"),
                BEAT_HEARTBEAT_FILE=str(tmp_path / "beat.alive"),
            )
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            directory.start()
            port = free_port()
            instance = Instance(env, f"http://127.0.0.1:{port}")
            worker = [str(BIN / "celery"), "-A", "dict_project", "worker", "--pool", "solo", "-l", "warning"]
            beat = [str(BIN / "celery"), "-A", "dict_project", "beat", "-s", str(tmp_path / "beat"), "-l", "warning"]
            try:
                with (
                    running(gunicorn(env, port), env, port),
                    running(worker, env, log=tmp_path / "worker.log"),
                ):
                    token = instance.token("bob")
                    entry = instance.create(token, "CPF", BOB_CPF)
                    wait_until(lambda: instance.key(token, entry["id"])["status"] == "ACTIVE", "registered", 60)

                    said = manage(directory.env, "dictsim_tamper", "change", BOB_CPF, "--account-number", "9999")
                    assert said.stdout.startswith(f"change: CPF at {ISPB}, CID ")
                    found = manage(env, "check_sync", "--key-type", "CPF", check=False)
                    assert (found.returncode, found.stdout.split()[:2]) == (1, ["CPF", "NOK"])

                    with running(beat, env, log=tmp_path / "beat.log"):
                        wait_until(
                            lambda: last_check(a_db, "CPF") == (False, True, True, 1),
                            "a scheduled check that found CPF out of sync and repaired it",
                            90,
                        )
                    assert directory_account_number(dir_db, BOB_CPF) == "1000033"  # bob's account again
                    again = manage(env, "check_sync", check=False)
                    assert again.returncode == 0, again.stdout + again.stderr
                    assert [line.split()[:2] for line in again.stdout.splitlines()] == [
                        [key_type, "OK"] for key_type in ("CPF", "CNPJ", "PHONE", "EMAIL", "EVP")
                    ]
                    assert call("GET", f"{instance.base}/api/v1/keys/{entry['id']}/", token=token)[1]["status"] == (
                        "ACTIVE"
                    )
            finally:
                directory.stop()
    finally:
        broker.kill()

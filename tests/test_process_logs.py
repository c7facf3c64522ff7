"""Every process logs through one configuration: with LOG_FORMAT=json each line it writes is JSON, and
PII (here an e-mail, a phone number and a CPF) appears only masked, in messages, tracebacks and extras.

Real processes on loopback, on the embedded default (SQLite in a fresh DATA_DIR; nothing here needs a
table): the Celery worker and beat as deploy/entrypoint.sh starts them, gunicorn with the production
config module, `manage.py serve`, `grpcserver`, `run_dictsim`, and a Django process that warns.

Every wait is bounded; the bounds only keep CI from hanging, they are not what is tested.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from celery import Celery
from redis import Redis

from tests.e2e_support import BIN, ROOT, base_env, free_port, manage, running, wait_for_port, wait_until

pytestmark = pytest.mark.e2e

BROKER = "redis://127.0.0.1:6379/11"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
GUNICORN_CONFIG = "python:dict_project.gunicorn_conf"
EMAIL, PHONE, CPF = "maria.silva@example.com", "+5511987654321", "11144477735"
PII = f"{EMAIL} {PHONE} {CPF}"
MASKED_PII = "m***@example.com +5511*******21 *********35"
# Celery prints this from its SIGTERM handler, where logging could deadlock; a fixed text, no PII.
CELERY_SHUTDOWN_NOTICE = "worker: Warm shutdown (MainProcess)"


def json_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return base_env(LOG_FORMAT="json", LOG_LEVEL="INFO", DATA_DIR=str(tmp_path), **overrides)


def records(text: str, *, but: tuple[str, ...] = ()) -> list[dict]:
    """Every non-empty line of ``text`` (``but`` these) as JSON; a line that is not JSON fails, shown."""
    found = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        if line in but:
            continue
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    return found


def assert_no_raw_pii(text: str) -> None:
    assert EMAIL not in text and PHONE[1:] not in text and CPF not in text


def entrypoint_env(tmp_path: Path) -> dict[str, str]:
    env = json_env(tmp_path, REDIS_URL=BROKER, CELERY_TASK_ALWAYS_EAGER="0", CELERY_CONCURRENCY="1")
    return {**env, "PATH": f"{BIN}:{env['PATH']}"}  # the image has its venv on the PATH


def test_a_worker_logs_a_failed_task_and_what_a_task_prints_as_masked_json(tmp_path: Path) -> None:
    """An entry id that is no UUID fails in the ORM, the id in the message; a task that prints is
    redirected to the log. Prefork, as deployed: both run in a child process."""
    Redis.from_url(BROKER).flushdb()
    log = tmp_path / "worker.log"
    worker = ["sh", str(ENTRYPOINT), "worker", "-I", "tests.logging_tasks"]
    with running(worker, entrypoint_env(tmp_path), log=log), closing(Celery("sender", broker=BROKER)) as sender:
        sender.send_task("keys.tasks.register_entry", args=[PII])
        sender.send_task("tests.logging_tasks.print_text", args=[PII])
        wait_until(lambda: log.read_text().count('"celery.app.trace"') == 2, "both tasks ran", timeout=60)
    text = log.read_text()

    lines = records(text, but=(CELERY_SHUTDOWN_NOTICE,))
    assert_no_raw_pii(text)
    (failure,) = [r for r in lines if r["name"] == "celery.app.trace" and r["levelname"] == "ERROR"]
    assert f"raised unexpected: ValidationError(['“{MASKED_PII}” is not a valid UUID.'])" in failure["message"]
    assert failure["exc_info"].startswith("Traceback") and MASKED_PII in failure["exc_info"]
    assert "+5511*******21 *********35" in failure["data"]["args"]  # Celery's extra: the task's arguments
    printed = [r["message"] for r in lines if r["name"] == "celery.redirected"]
    assert printed == [MASKED_PII, MASKED_PII]  # stdout and stderr


def test_beat_logs_its_start_as_json(tmp_path: Path) -> None:
    log = tmp_path / "beat.log"
    beat = ["sh", str(ENTRYPOINT), "beat", "--schedule", str(tmp_path / "schedule")]  # the last --schedule wins
    with running(beat, entrypoint_env(tmp_path), log=log):
        wait_until(lambda: "beat: Starting..." in log.read_text(), "beat started", timeout=60)

    assert "celery.beat" in {r["name"] for r in records(log.read_text())}


def get(url: str) -> str:
    """GET ``url``, whatever the status; the answer's request id."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.headers["X-Request-ID"]
    except urllib.error.HTTPError as error:
        return error.headers["X-Request-ID"]


def requests_with_pii(port: int) -> str:
    """A lookup of an e-mail key with a CPF and a phone in the query string (401: no token), then a probe,
    which Django answers before a request id is bound; the lookup's request id."""
    request_id = get(f"http://127.0.0.1:{port}/api/v1/lookup/{EMAIL}/?cpf={CPF}&phone=%2B{PHONE[1:]}")
    get(f"http://127.0.0.1:{port}/healthz")
    return request_id


def assert_web_lines(text: str, request_id: str) -> None:
    """gunicorn's own lines and its access lines, JSON; the key masked in the path, no query string, and
    each request's own id (none for the probe, not the id the thread served before)."""
    lines = records(text)
    assert_no_raw_pii(text)
    assert any(r["name"] == "gunicorn.error" and r["message"].startswith("Listening at: ") for r in lines)
    access = [
        (r["message"].split('"')[1], r["message"].split()[2], r["request_id"])
        for r in lines
        if r["name"] == "gunicorn.access"
    ]
    # gunicorn writes an access line after the response is sent, from the request's own thread: the
    # probe's line may come before the lookup's, so their order is not the test's to assert.
    assert sorted(access) == [("GET /api/v1/lookup/***/", "401", request_id), ("GET /healthz", "200", "-")]


def test_gunicorn_with_the_production_config_logs_its_own_lines_and_access_as_json(tmp_path: Path) -> None:
    assert f"--config {GUNICORN_CONFIG}" in ENTRYPOINT.read_text()  # the config tested is the one deployed
    port = free_port()
    log = tmp_path / "web.log"
    web = [str(BIN / "gunicorn"), "dict_project.wsgi", "--config", GUNICORN_CONFIG, "--bind", f"127.0.0.1:{port}"]
    with running([*web, "--workers", "1", "--no-control-socket"], json_env(tmp_path), port, log=log):
        request_id = requests_with_pii(port)
        wait_until(lambda: log.read_text().count('"gunicorn.access"') == 2, "the access lines", timeout=30)

    assert_web_lines(log.read_text(), request_id)


def test_serve_logs_gunicorn_lines_as_json(tmp_path: Path) -> None:
    """Its banner, for the person at the terminal, goes to stdout; every log line to stderr."""
    port = free_port()
    log = tmp_path / "serve.log"
    serve = [sys.executable, "manage.py", "serve", "--port", str(port), "--grpc-port", str(free_port())]
    with log.open("w") as output:
        process = subprocess.Popen(serve, cwd=ROOT, env=json_env(tmp_path), stdout=subprocess.DEVNULL, stderr=output)
    try:
        wait_for_port(port, process, timeout=60)
        request_id = requests_with_pii(port)
        wait_until(lambda: log.read_text().count('"gunicorn.access"') == 2, "the access lines", timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert_web_lines(log.read_text(), request_id)


@pytest.mark.parametrize(
    "command,announced",
    [
        (["grpcserver", "--port", "0", "--metrics-port", "0"], "CoreDictService serving on 127.0.0.1:"),
        (["run_dictsim", "--bind", "127.0.0.1:0"], "dictsim serving Connect on 127.0.0.1:"),
    ],
    ids=["grpcserver", "run_dictsim"],
)
def test_grpc_servers_log_their_start_as_json(tmp_path: Path, command: list[str], announced: str) -> None:
    log = tmp_path / "server.log"
    with running([sys.executable, "manage.py", *command], json_env(tmp_path), log=log):
        wait_until(lambda: announced in log.read_text(), "the server announced itself", timeout=60)

    assert any(r["message"].startswith(announced) for r in records(log.read_text()))


def test_a_warning_is_a_log_line_too(tmp_path: Path) -> None:
    """Python prints warnings raw to stderr unless logging captures them."""
    warned = manage(json_env(tmp_path), "shell", "-c", f"import warnings; warnings.warn({PII!r})")

    (warning,) = [r for r in records(warned.stderr) if r["name"] == "py.warnings"]
    assert warning["message"].endswith(f"UserWarning: {MASKED_PII}\n")

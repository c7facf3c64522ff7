"""`manage.py serve`: the whole service in one supervised process tree, on the embedded default.

gunicorn's arbiter (its custom-application API) supervises exactly one gthread worker and
restarts it if it dies. That worker serves REST and the admin on its threads and, started by
the ``post_worker_init`` hook, the CoreDictService over gRPC (``common.core_grpc``, as
`grpcserver` assembles it) and the jobs of CELERY_BEAT_SCHEDULE (``common.scheduler``). All in
one process because the embedded default keeps its state in process memory: the cache, the
anti-scan buckets and the payment records are then one for every interface, as Redis makes
them one across production's processes. For the same reason every task runs in that process,
even when a broker is configured.
"""

import math
import signal
import threading
import time
from functools import partial
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from celery import current_app
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import get_internal_wsgi_application
from django.db import connections
from django.utils.module_loading import import_string
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from common.core_grpc import CoreService, start_core_service
from common.grpc_interceptors import start_metrics_server
from common.grpc_server import listen_address
from common.logging import ACCESS_LOG_FORMAT
from common.scheduler import EmbeddedBeat, run_tasks_in_process

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def period(schedule: object) -> str:
    """A beat entry's schedule for people: seconds as a number, anything else (a crontab) as Celery shows it."""
    return f"every {schedule:g} s" if isinstance(schedule, int | float) else str(schedule)


class WorkerServices:
    """What the one worker runs beside its web threads: gRPC, the scheduler, metrics when asked."""

    def __init__(self, *, grpc_port: int, grpc_workers: int, metrics_port: int, grace: float) -> None:
        self.grpc_port, self.grpc_workers = grpc_port, grpc_workers
        self.metrics_port, self.grace = metrics_port, grace
        self._grpc: CoreService | None = None
        self._beat: EmbeddedBeat | None = None
        self._metrics: WSGIServer | None = None
        self._stopping: threading.Thread | None = None

    def post_worker_init(self, worker: Worker) -> None:
        """gunicorn hook, in the worker: start everything, and drain it on every stop signal."""
        if self.metrics_port:
            self._metrics = start_metrics_server(self.metrics_port, addr=settings.METRICS_BIND)
        self._grpc = start_core_service(host=settings.GRPC_BIND, port=self.grpc_port, workers=self.grpc_workers)
        self._beat = EmbeddedBeat(current_app._get_current_object(), Path(settings.DATA_DIR) / "celerybeat-schedule")
        self._beat.start()
        scheme = "TLS" if self._grpc.tls else "plaintext"
        worker.log.info(
            "CoreDictService on %s:%s (%s); scheduled jobs running", settings.GRPC_BIND, self._grpc.port, scheme
        )
        # gunicorn exits at once on SIGINT/SIGQUIT, skipping the drain; Ctrl-C reaches this worker too
        # (the terminal signals the whole process group), so every stop signal drains here.
        for signum in STOP_SIGNALS:
            signal.signal(signum, partial(self._on_stop_signal, worker))
        signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn had it: requests are not interrupted

    def _on_stop_signal(self, worker: Worker, signum: int, frame) -> None:
        self._begin_stop()
        worker.handle_exit(signum, frame)  # gunicorn's graceful stop: finish the requests in flight

    def _begin_stop(self) -> None:
        """Drain gRPC and stop the scheduler on a thread of their own, while the web threads drain."""
        if self._stopping is None:
            self._stopping = threading.Thread(target=self._stop, name="serve-stop")
            self._stopping.start()

    def _stop(self) -> None:
        deadline = time.monotonic() + self.grace
        if self._grpc is not None:
            self._grpc.stop(self.grace)
        if self._beat is not None:
            self._beat.stop(timeout=max(1.0, deadline - time.monotonic()))
        if self._metrics is not None:
            self._metrics.shutdown()

    def worker_exit(self, arbiter: Arbiter, worker: Worker) -> None:
        """gunicorn hook, in the worker as it exits: wait for the drain (begun here if no signal began it)."""
        self._begin_stop()
        self._stopping.join()


class OneWorker(BaseApplication):
    """gunicorn's custom application: Django's WSGI application with the given settings."""

    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> WSGIHandler:
        return get_internal_wsgi_application()


class Command(BaseCommand):
    help = "Serve REST + admin, gRPC and the scheduled jobs from one supervised process (the embedded default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface of REST and the admin (gRPC: GRPC_BIND)")
        parser.add_argument("--port", type=int, default=8000, help="REST and admin (HTTP)")
        parser.add_argument("--grpc-port", type=int, default=settings.GRPC_PORT, help="CoreDictService (gRPC)")
        parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus /metrics of gRPC (0: off)")
        parser.add_argument("--threads", type=int, default=8, help="web threads")
        parser.add_argument("--grpc-workers", type=int, default=settings.GRPC_WORKERS, help="gRPC thread pool size")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds in-flight calls get on Ctrl-C/SIGTERM")

    def handle(self, *args, host: str, port: int, grpc_port: int, metrics_port: int, **options) -> None:
        run_tasks_in_process(current_app._get_current_object())
        services = WorkerServices(
            grpc_port=grpc_port,
            grpc_workers=options["grpc_workers"],
            metrics_port=metrics_port,
            grace=options["grace"],
        )
        self.banner(host=host, port=port, grpc_port=grpc_port, metrics_port=metrics_port)
        connections.close_all()  # the worker is forked from here: it opens its own
        OneWorker(
            {
                "bind": listen_address(host, port),
                "workers": 1,
                "worker_class": "gthread",
                "threads": options["threads"],
                "graceful_timeout": math.ceil(options["grace"]) + 2,  # the web and gRPC drains run side by side
                "control_socket_disable": True,
                "proc_name": "core-dict-serve",
                # Django's log configuration for gunicorn's own lines too (as dict_project/gunicorn_conf.py)
                "logconfig_dict": settings.LOGGING,
                "access_log_format": ACCESS_LOG_FORMAT,
                "post_worker_init": services.post_worker_init,
                "worker_exit": services.worker_exit,
            }
        ).run()

    def banner(self, *, host: str, port: int, grpc_port: int, metrics_port: int) -> None:
        jobs = ", ".join(
            f"{name} ({period(entry['schedule'])})" for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        )
        lines = [
            "Core DICT, the whole service in one process (Ctrl-C stops it):",
            f"  REST API  http://{host}:{port}/api/v1/  (Swagger UI at /api/docs/)",
            f"  admin     http://{host}:{port}/admin/",
            f"  gRPC      {settings.GRPC_BIND}:{grpc_port}  CoreDictService, health, reflection",
            f"  metrics   {f'http://{settings.METRICS_BIND}:{metrics_port}/metrics' if metrics_port else 'off'}",
            f"  jobs      {jobs}",
            "Demo logins (as seed_demo created them):",
            *(
                f"  {user:<8} {password:<18} {what}"
                for user, password, what in import_string(settings.DEMO_LOGINS_HOOK)()
            ),
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

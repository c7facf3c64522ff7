"""What the web's /metrics shows: this process's metrics (every gunicorn worker's, added up) and the
numbers that live only in the database, read at each scrape.

Counters, histograms and gauges live in the owning app's ``metrics.py``, on prometheus_client's
default registry; Python imports a module once, so each is created once. Numbers that are rows
(keys by status, open claims by deadline) are read at scrape time: an app registers a read at
``ready()`` under a name (the kernel imports no app), and registering that name again replaces the
read, so a second ``ready()`` never doubles its series.

With PROMETHEUS_MULTIPROC_DIR set (the web's gunicorn workers, dict_project/gunicorn_conf.py) every
worker writes its values to files there and the answering worker adds them all up. Collectors of the
default registry that those files do not hold (collectors that compute at scrape) come from the
answering worker; the runtime collectors (process_*, python_*) are left out there, as they would
describe one worker picked at random.

The reads each run in a short transaction with a statement timeout. An outage ends them for this
scrape (a database that is down would cost every read its connect timeout) and the rest is served
anyway; ``coredict_metrics_read_up`` says which reads answered.
"""

import logging
import os
from collections.abc import Callable, Iterable, Iterator

from django.db import connection, transaction
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from common.outages import OUTAGES

logger = logging.getLogger(__name__)

DatabaseRead = Callable[[], Iterable[Metric]]

READ_TIMEOUT_MS = 2000  # one slow query must not take the scrape past Prometheus' timeout (10 s by default)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_reads: dict[str, DatabaseRead] = {}


def register_database_read(name: str, read: DatabaseRead) -> None:
    """Run ``read`` at every scrape; ``name`` labels it in coredict_metrics_read_up. Apps call this at ready()."""
    _reads[name] = read


def _runtime_metric_names() -> set[str]:
    return {
        family.name
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR)
        for family in collector.collect()
    }


def _process_metrics() -> Iterator[Metric]:
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        yield from REGISTRY.collect()
        return
    shared = list(MultiProcessCollector(None, path=directory).collect())
    yield from shared
    # The same names from the default registry would be this worker's share again.
    known = {family.name for family in shared} | _runtime_metric_names()
    yield from (family for family in REGISTRY.collect() if family.name not in known)


def _read(read: DatabaseRead) -> list[Metric]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {READ_TIMEOUT_MS}")
        return list(read())


def _database_reads() -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "coredict_metrics_read_up",
        "Whether each database read answered at this scrape (1) or not (0).",
        labels=["read"],
    )
    outage = False
    for name, read in list(_reads.items()):
        answered = False
        if not outage:
            try:
                yield from _read(read)
                answered = True
            except OUTAGES as error:
                outage = True
                logger.warning("metrics read %s: database unavailable (%s)", name, type(error).__name__)
            except Exception:
                logger.exception("metrics read %s failed", name)
        up.add_metric([name], 1 if answered else 0)
    yield up


class Exposition:
    """What /metrics renders: prometheus_client's ``generate_latest`` takes any object with ``collect()``."""

    def collect(self) -> Iterator[Metric]:
        yield from _process_metrics()
        yield from _database_reads()


EXPOSITION = Exposition()

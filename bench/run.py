"""Core DICT against bare baselines of the same work, over gRPC and REST, in one run.

    python -m bench.run [--seconds 8] [--runs 3] [--concurrency 8] [--entries 100000] [--only lookup,create]

Each scenario is measured with its bare twin (the floor of the same work: bench.bare_*) by the same
closed-loop client (bench.loadgen), and reported as req/s, p50, p99, server CPU ms per call (the server's
process tree, from /proc; for calls that reach a directory, the directory's apart) and req/s as a ratio
to the twin's in the same run. The runs are interleaved (run 1 of every scenario, then run 2...), so a
busy moment of the machine touches every scenario alike; each figure is given as min, median and max.
Writes bench/results/<save>.json and .png and prints the Markdown table the README shows.

Every process is a separate server: Core DICT's grpcserver (twice: one on run_dictsim, one on the
bare directory, so "other PSP" is measured against the same directory as its bare twin), its gunicorn
(REST), run_dictsim, and the bare ones. CreateKey runs the whole use case until ACTIVE (Celery eager:
the registration at the directory happens before the answer), EVP keys spread over fresh accounts.
"""

import argparse
import itertools
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc

from bench import loadgen, report
from bench.cpu import tree_cpu_ms
from bench.prepare import LEGAL_PERSON_KEYS, OWN_KEY, Prepared, accounts_for_creates, prepare
from bench.report import Target
from dictsim.synthetic import is_legal_person, seed_key
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import ROOT, free_port, gunicorn, running

RESULTS = Path(__file__).resolve().parent / "results"
CREATES_PER_SECOND_CEILING = 300  # sizes the accounts a run's creates spread over
ECHO_METHOD = "/bench.Echo/Echo"


@dataclass(frozen=True)
class Scenario:
    """One measured call: whose CPU counts, and which scenario it is a ratio of."""

    name: str
    server: str  # the process tree whose CPU counts (a key of Servers' commands)
    make_call: Callable[[int], loadgen.Call]
    twin: str | None = None  # the scenario its req/s is a ratio of
    directory: str | None = None  # the directory's process tree, counted apart
    targets: tuple[Target, ...] = ()
    creates: bool = False  # needs acme's accounts (Creates)


@dataclass
class Creates:
    """Acme's token and the fresh accounts CreateKey spreads its keys over (filled once a create is chosen)."""

    token: str = ""
    accounts: list[int] = field(default_factory=list)


class Servers:
    """The bench's server processes, each started once when a chosen scenario needs it."""

    def __init__(self, stack: ExitStack, prepared: Prepared, *, entries: int, web_workers: int, logs: Path) -> None:
        self.stack, self.logs = stack, logs
        self.pids = {"core-rest": prepared.web.pid, "dictsim": prepared.dictsim.pid}
        self.ports = {"core-rest": int(prepared.base.rsplit(":", 1)[1])}
        env = prepared.core_env
        bare_dir = f"127.0.0.1:{self.port('bare-directory')}"
        module = lambda name, *args: lambda port: [sys.executable, "-m", name, *args, "--port", str(port)]  # noqa: E731
        grpcserver = lambda port: [  # noqa: E731
            *(sys.executable, "manage.py", "grpcserver", "--host", "127.0.0.1", "--metrics-port", "0"),
            *("--port", str(port)),
        ]

        def bare_django(port: int) -> list[str]:  # Core DICT's gunicorn command line, the bare app in it
            args = gunicorn(env, port)
            args[args.index("dict_project.wsgi")] = "django.core.wsgi:get_wsgi_application()"
            args[args.index("--workers") + 1] = str(web_workers)
            return args

        # name: (command for a port, environment), dependencies first
        self.commands: dict[str, tuple[Callable[[int], list[str]], dict[str, str]]] = {
            "bare-directory": (module("bench.bare_directory", "--entries", str(entries)), env),
            "core-grpc": (grpcserver, env),
            "core-grpc-bare-directory": (grpcserver, {**env, "CONNECT_URL": bare_dir}),
            "echo": (module("bench.echo_server"), env),
            "bare-lookup": (module("bench.bare_lookup"), env),
            "bare-forwarder": (module("bench.bare_lookup", "--forward", bare_dir), env),
            "bare-create": (module("bench.bare_create", "--directory", bare_dir), env),
            "bare-django": (bare_django, {**env, "DJANGO_SETTINGS_MODULE": "bench.bare_django"}),
        }

    def port(self, name: str) -> int:
        """The server's port, chosen now if it was not yet (a server may be named before it starts)."""
        return self.ports.setdefault(name, free_port())

    def start(self, names: set[str]) -> None:
        for name, (command, env) in self.commands.items():
            if name in names and name not in self.pids:
                print(f"  starting {name}", flush=True)
                args = command(self.port(name))
                process = self.stack.enter_context(running(args, env, self.port(name), log=self.logs / f"{name}.log"))
                self.pids[name] = process.pid

    def probe(self, scenario: Scenario) -> loadgen.Probe:
        trees = {"server": scenario.server, "directory": scenario.directory}
        return lambda: {role: tree_cpu_ms([self.pids[name]]) for role, name in trees.items() if name}


def grpc_call(port: int, invoke: Callable[[grpc.Channel], object]) -> loadgen.Call:
    """One channel per worker thread; a call is OK when it returns without an RpcError or False."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)

    def call() -> bool:
        try:
            return invoke(channel) is not False
        except grpc.RpcError:
            return False

    return call


def scenarios(servers: Servers, prepared: Prepared, *, entries: int, creates: Creates) -> list[Scenario]:
    """Every scenario, each after its twin."""
    payer = (("authorization", f"Bearer {prepared.payer_token}"),)
    natural = [seed_key(i)[1] for i in range(entries) if not is_legal_person(i)]  # legal persons' answers are cached
    rng = random.Random(7)  # noqa: S311 - picking keys, not secrets
    other_psp = lambda: rng.choice(natural)  # noqa: E731
    own_key = lambda: OWN_KEY  # noqa: E731
    created = itertools.count()  # next() is atomic under the GIL: each call a new key

    def grpc_scenario(server: str, invoke: Callable[[grpc.Channel], object]) -> Callable[[int], loadgen.Call]:
        return lambda worker: grpc_call(servers.port(server), invoke)

    def lookup(key_of: Callable[[], str]) -> Callable[[grpc.Channel], object]:
        def invoke(channel: grpc.Channel) -> object:
            stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
            return stub.LookupKey(pb.LookupKeyRequest(key=key_of()), metadata=payer, timeout=30)

        return invoke

    def create_key(channel: grpc.Channel) -> bool:
        n = next(created)
        request = pb.CreateKeyRequest(
            account_id=creates.accounts[n % len(creates.accounts)],
            key_type=pb.EVP,  # an e-mail key would need a possession challenge per key (and its send limits)
            request_id=str(uuid.uuid4()),
        )
        stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
        answer = stub.CreateKey(request, metadata=(("authorization", f"Bearer {creates.token}"),), timeout=30)
        return answer.entry.status == pb.ACTIVE

    def rest(server: str, path: Callable[[], str]) -> Callable[[int], loadgen.Call]:
        headers = {"Authorization": f"Bearer {prepared.payer_token}", "Connection": "keep-alive"}
        return lambda worker: loadgen.http_get("127.0.0.1", servers.port(server), path, headers)

    echo = lambda channel: channel.unary_unary(ECHO_METHOD)(b"ping", timeout=30)  # noqa: E731
    return [
        Scenario("echo", "echo", grpc_scenario("echo", echo)),
        Scenario("bare lookup", "bare-lookup", grpc_scenario("bare-lookup", lookup(own_key)), twin="echo"),
        Scenario(
            "LookupKey own key",
            "core-grpc",
            grpc_scenario("core-grpc", lookup(own_key)),
            twin="bare lookup",
            targets=(Target("ratio", 0.8), Target("cpu_ms_per_call", 0.7)),
        ),
        Scenario(
            "bare forwarder",
            "bare-forwarder",
            grpc_scenario("bare-forwarder", lookup(other_psp)),
            twin="echo",
            directory="bare-directory",
        ),
        Scenario(
            "LookupKey other PSP",
            "core-grpc-bare-directory",
            grpc_scenario("core-grpc-bare-directory", lookup(other_psp)),
            twin="bare forwarder",
            directory="bare-directory",
            targets=(Target("ratio", 0.6),),
        ),
        Scenario(
            "LookupKey other PSP (dictsim)",
            "core-grpc",
            grpc_scenario("core-grpc", lookup(other_psp)),
            twin="bare forwarder",
            directory="dictsim",
        ),
        Scenario(
            "bare Django view",
            "bare-django",
            rest("bare-django", lambda: f"/lookup/{OWN_KEY}/"),
            twin="echo",
        ),
        Scenario(
            "REST lookup own key",
            "core-rest",
            rest("core-rest", lambda: f"/api/v1/lookup/{OWN_KEY}/"),
            twin="bare Django view",
            targets=(Target("ratio", 0.6),),
        ),
        Scenario(
            "bare create",
            "bare-create",
            grpc_scenario("bare-create", create_key),
            twin="echo",
            directory="bare-directory",
            creates=True,
        ),
        Scenario(
            "CreateKey until ACTIVE",
            "core-grpc-bare-directory",
            grpc_scenario("core-grpc-bare-directory", create_key),
            twin="bare create",
            directory="bare-directory",
            targets=(Target("ratio", 0.5), Target("cpu_ms_per_call", 4.0)),
            creates=True,
        ),
        Scenario(
            "CreateKey until ACTIVE (dictsim)",
            "core-grpc",
            grpc_scenario("core-grpc", create_key),
            twin="bare create",
            directory="dictsim",
            creates=True,
        ),
    ]


def chosen(every: list[Scenario], only: list[str]) -> list[Scenario]:
    """The scenarios naming one of ``only`` (all when empty), with the twins their ratios need."""
    by_name = {s.name: s for s in every}
    names = {s.name for s in every if not only or any(word.lower() in s.name.lower() for word in only)}
    while missing := {by_name[n].twin for n in names} - names - {None}:
        names |= missing
    return [s for s in every if s.name in names]


def machine() -> dict[str, object]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def revision(given: str | None) -> dict[str, object]:
    """The git commit measured and whether the tree differed from it; outside a git checkout (a tree from
    ``git archive``), the commit ``given`` on the command line."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return {"commit": given, "dirty": None}
    status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def measure(picked: list[Scenario], servers: Servers, args: argparse.Namespace) -> dict[str, list[loadgen.Result]]:
    """``args.runs`` interleaved runs: run 1 of every scenario, then run 2, ..."""
    results: dict[str, list[loadgen.Result]] = {s.name: [] for s in picked}
    for run in range(1, args.runs + 1):
        for scenario in picked:
            result = loadgen.run(
                scenario.name,
                scenario.make_call,
                concurrency=args.concurrency,
                seconds=args.seconds,
                probe=servers.probe(scenario),
            )
            cpu = result.cpu_ms.get("server", 0.0) / result.requests if result.requests else 0.0
            print(
                f"  run {run}/{args.runs} {scenario.name}: {result.rps:.0f} req/s, p99 {result.p99_ms:.2f} ms, "
                f"{cpu:.2f} ms CPU/call, {result.errors} errors",
                flush=True,
            )
            results[scenario.name].append(result)
    return results


def document(
    picked: list[Scenario], results: dict[str, list[loadgen.Result]], args: argparse.Namespace, host: dict
) -> dict:
    entries = []
    for s in picked:
        twins = results.get(s.twin) if s.twin else None
        runs = [report.figures(r, twins[i] if twins else None) for i, r in enumerate(results[s.name])]
        summarized = report.summary(runs)
        entries.append(
            {
                "name": s.name,
                "twin": s.twin,
                "server": s.server,
                "directory": s.directory,
                "runs": runs,
                "summary": summarized,
                "targets": [report.checked(t, summarized) for t in s.targets],
            }
        )
    return {
        "label": args.label,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**host, "load_average_at_end": os.getloadavg()},
        "git": revision(args.revision),
        "parameters": {
            "seconds": args.seconds,
            "warmup_seconds": 1.0,
            "runs": args.runs,
            "concurrency": args.concurrency,
            "entries": args.entries,
            "web_workers": args.web_workers,
            "web_threads": 4,
            "grpc_workers": 10,
            "only": args.only,
        },
        "scenarios": entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per scenario and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--entries", type=int, default=100_000, help="synthetic directory entries")
    parser.add_argument(
        "--only",
        type=lambda v: [w for w in v.split(",") if w],
        default=[],
        help="comma-separated substrings of scenario names (their twins are added)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (x 4 threads), core and bare")
    parser.add_argument("--save", default="latest", help="bench/results/<save>.json and .png")
    parser.add_argument("--label", default="", help="what was measured, kept in the JSON (e.g. 'before')")
    parser.add_argument("--revision", help="the commit measured, when this tree is no git checkout (git archive)")
    args = parser.parse_args()
    host = machine()

    logs = Path(tempfile.mkdtemp(prefix="core-dict-bench-"))
    print(f"server logs in {logs}", flush=True)
    creates = Creates()
    with ExitStack() as stack:
        prepared = prepare(stack, entries=args.entries, web_workers=args.web_workers, logs=logs)
        servers = Servers(stack, prepared, entries=args.entries, web_workers=args.web_workers, logs=logs)
        picked = chosen(scenarios(servers, prepared, entries=args.entries, creates=creates), args.only)
        if any(s.creates for s in picked):
            per_run = CREATES_PER_SECOND_CEILING * (args.seconds + 1) * args.runs * sum(s.creates for s in picked)
            tag = f"{int(datetime.now(UTC).timestamp()) % 10**6:06d}"
            creates.token, creates.accounts = accounts_for_creates(
                prepared, tag, math.ceil(per_run / LEGAL_PERSON_KEYS)
            )
        servers.start({name for s in picked for name in (s.server, s.directory) if name})
        results = measure(picked, servers, args)
    doc = document(picked, results, args, host)
    RESULTS.mkdir(exist_ok=True)
    report.write_json(doc, RESULTS / f"{args.save}.json")
    title = (
        f"{args.label or 'Core DICT'}: {args.entries} entries, concurrency {args.concurrency}, "
        f"{args.runs} x {args.seconds:g} s, {os.cpu_count()} CPUs"
    )
    report.chart(doc["scenarios"], title, RESULTS / f"{args.save}.png")
    print()
    print(title + "; median (min–max)")
    print(report.markdown(doc["scenarios"]))
    print(f"\nwrote {RESULTS / args.save}.json and .png")


if __name__ == "__main__":
    main()

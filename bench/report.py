"""Figures of interleaved runs: min, median and max of each, ratios within a run, targets, and the outputs
(JSON, a PNG chart, a Markdown table)."""

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import Result

FIGURES = ("rps", "p50_ms", "p99_ms", "errors", "cpu_ms_per_call", "directory_cpu_ms_per_call", "ratio")


@dataclass(frozen=True)
class Target:
    """A bound on one figure's median: ``ratio`` (to the twin) at least, or ``cpu_ms_per_call`` at most."""

    figure: str
    bound: float

    @property
    def at_least(self) -> bool:
        return self.figure == "ratio"

    def describe(self) -> str:
        return f"≥ {self.bound:g}×" if self.at_least else f"≤ {self.bound:g} ms CPU"

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound


def figures(result: Result, twin: Result | None) -> dict[str, float | None]:
    """One run of one scenario; the ratio is to its twin's req/s in the same run."""
    per_call = {
        f"{prefix}cpu_ms_per_call": (result.cpu_ms[server] / result.requests if result.requests else None)
        if server in result.cpu_ms
        else None
        for prefix, server in (("", "server"), ("directory_", "directory"))
    }
    return {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
        **per_call,
        "ratio": result.rps / twin.rps if twin is not None and twin.rps else None,
    }


def summary(runs: list[dict[str, float | None]]) -> dict[str, dict[str, float] | None]:
    """min / median / max of each figure over the runs (None where a figure does not apply)."""
    out: dict[str, dict[str, float] | None] = {}
    for figure in FIGURES:
        values = [run[figure] for run in runs if run[figure] is not None]
        out[figure] = {"min": min(values), "median": statistics.median(values), "max": max(values)} if values else None
    return out


def checked(target: Target | None, summarized: dict[str, dict[str, float] | None]) -> dict | None:
    if target is None:
        return None
    median = (summarized[target.figure] or {}).get("median")
    return {
        "target": target.describe(),
        "figure": target.figure,
        "bound": target.bound,
        "median": median,
        "met": median is not None and target.met(median),
    }


def _cell(spread: dict[str, float] | None, digits: int) -> str:
    if spread is None:
        return "–"
    med, low, high = (f"{spread[k]:.{digits}f}" for k in ("median", "min", "max"))
    return med if low == high else f"{med} ({low}–{high})"


def markdown(scenarios: list[dict]) -> str:
    """The README's table: median (min–max) of each figure, targets judged on the median."""
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | server CPU ms/call | directory CPU ms/call | × twin | twin "
        "| target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for s in scenarios:
        f, goals = s["summary"], s["targets"]
        lines.append(
            f"| {s['name']} | {_cell(f['rps'], 0)} | {_cell(f['p50_ms'], 2)} | {_cell(f['p99_ms'], 2)} "
            f"| {_cell(f['cpu_ms_per_call'], 2)} | {_cell(f['directory_cpu_ms_per_call'], 2)} "
            f"| {_cell(f['ratio'], 2)} | {s['twin'] or '–'} | {'; '.join(g['target'] for g in goals) or '–'} "
            f"| {'; '.join('yes' if g['met'] else 'no' for g in goals) or '–'} |"
        )
    return "\n".join(lines)


def chart(scenarios: list[dict], title: str, path: Path) -> None:
    """Two panels: req/s, and CPU ms per call (the server's, then the directory's stacked on it in a lighter
    shade); median bars, min–max whiskers. Baselines grey, Core DICT blue."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    names = [s["name"] for s in scenarios]
    colours = ["tab:gray" if s["twin"] in (None, "echo") else "tab:blue" for s in scenarios]
    figure, (speed, cpu) = pyplot.subplots(1, 2, figsize=(12, 0.45 * len(names) + 1.5), sharey=True)

    def bars(axes, key: str, left: list[float] | None = None, alpha: float = 1.0) -> list[float]:
        spreads = [s["summary"][key] or {"min": 0.0, "median": 0.0, "max": 0.0} for s in scenarios]
        medians = [x["median"] for x in spreads]
        whiskers = [[x["median"] - x["min"] for x in spreads], [x["max"] - x["median"] for x in spreads]]
        axes.barh(names, medians, left=left, xerr=whiskers, color=colours, alpha=alpha, capsize=3)
        return medians

    bars(speed, "rps")
    bars(cpu, "directory_cpu_ms_per_call", left=bars(cpu, "cpu_ms_per_call"), alpha=0.4)
    speed.set_xlabel("req/s")
    cpu.set_xlabel("CPU ms per call: server, then directory (lighter)")
    for axes in (speed, cpu):
        axes.grid(axis="x", alpha=0.3)
    speed.invert_yaxis()
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)


def write_json(document: dict, path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

"""The rehearsal's report: every step with its outcome and evidence, as Markdown or HTML.

The evidence holds ids, times and counts; keys are masked as in the logs (a report is shared).
The verdict is PASS, FAIL or INCOMPLETE (something skipped), and a report lists what was skipped.
"""

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from homologation.domain import Outcome, StepResult, Verdict, verdict


@dataclass
class RehearsalReport:
    participant: str
    counterpart: str
    directory: str  # the Connect URL, or "embedded dictsim"
    started_at: datetime
    finished_at: datetime
    steps: list[StepResult] = field(default_factory=list)
    capacity_markdown: str = ""  # the capacity test's own report, or why it did not run
    capacity_outcome: Outcome | None = None  # None: not asked for, or not run after a failed step

    @property
    def skipped(self) -> list[str]:
        """What the run could not judge: the skipped steps, and the capacity test if it was skipped."""
        names = [step.name for step in self.steps if step.outcome is Outcome.SKIP]
        return names + (["Capacity test"] if self.capacity_outcome is Outcome.SKIP else [])

    @property
    def verdict(self) -> Verdict:
        capacity = [] if self.capacity_outcome is None else [self.capacity_outcome]
        return verdict([step.outcome for step in self.steps] + capacity)


def markdown(report: RehearsalReport) -> str:
    lines = [
        "# Homologation rehearsal (BCB's exam, DICT_RULES §11)",
        "",
        f"- Verdict: **{report.verdict}**",
        f"- Participant: {report.participant}; counterpart: {report.counterpart}",
        f"- Directory: {report.directory}",
        f"- Run: {report.started_at:%Y-%m-%d %H:%M:%S} to {report.finished_at:%H:%M:%S} UTC",
    ]
    if report.skipped:
        lines.append(f"- Skipped (the verdict cannot be PASS): {'; '.join(report.skipped)}")
    if report.steps:
        lines += ["", "| step | outcome | seconds |", "|---|---|---|"]
        lines += [f"| {step.name} | {step.outcome} | {step.seconds:.1f} |" for step in report.steps]
    for step in report.steps:
        lines += ["", f"## {step.name}: {step.outcome}", ""]
        lines += [f"- {line}" for line in step.evidence] or ["- (no evidence)"]
    if report.capacity_markdown:
        lines += ["", report.capacity_markdown.rstrip()]
    return "\n".join(lines) + "\n"


_COLOURS = {Outcome.PASS: "#1a7f37", Outcome.FAIL: "#cf222e", Outcome.SKIP: "#9a6700"}


def html(report: RehearsalReport) -> str:
    rows = "".join(
        f"<tr><td>{escape(step.name)}</td><td style='color:{_COLOURS[step.outcome]}'>{step.outcome}</td>"
        f"<td>{step.seconds:.1f}</td></tr>"
        for step in report.steps
    )
    sections = "".join(
        f"<h2>{escape(step.name)}: {step.outcome}</h2><ul>"
        + "".join(f"<li>{escape(line)}</li>" for line in step.evidence)
        + "</ul>"
        for step in report.steps
    )
    capacity = f"<pre>{escape(report.capacity_markdown)}</pre>" if report.capacity_markdown else ""
    skipped = f"Skipped (the verdict cannot be PASS): {escape('; '.join(report.skipped))}<br>" if report.skipped else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Homologation rehearsal</title></head><body>"
        "<h1>Homologation rehearsal (BCB's exam, DICT_RULES §11)</h1>"
        f"<p>Verdict: <strong>{report.verdict}</strong><br>{skipped}Participant: {escape(report.participant)}; "
        f"counterpart: {escape(report.counterpart)}<br>Directory: {escape(report.directory)}<br>"
        f"Run: {report.started_at:%Y-%m-%d %H:%M:%S} to {report.finished_at:%H:%M:%S} UTC</p>"
        f"<table><tr><th>step</th><th>outcome</th><th>seconds</th></tr>{rows}</table>{sections}{capacity}"
        "</body></html>\n"
    )


def render(report: RehearsalReport, path: str) -> str:
    """The report in the format the file's name asks for: HTML for .html/.htm, else Markdown."""
    return html(report) if path.lower().endswith((".html", ".htm")) else markdown(report)

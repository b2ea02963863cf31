"""Pure logic of the gate verdict: task gates + metrics -> one readable verdict. No TFX here.

Every gate of every task becomes one or more ``GateResult`` rows: which task, which gate, which
metric on which slice, the candidate's and the baseline's value, the bound, a status and a
one-line reason. The model is blessed only when no row has the status ``fail``.

Statuses:
    pass             the gate holds.
    fail             the gate does not hold; the model is not pushed.
    no_baseline      a non-regression gate on the first run: nothing to compare with.
    not_enough_data  a slice with fewer examples than the configured minimum, or a metric that
                     is undefined there (one class only): never reported as passing, and it
                     does not block the push on its own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from pipeline.config import METRIC_CATALOGUE, Gate, PipelineConfig, SliceGate, Task

OVERALL = "Overall"
CANDIDATE = "candidate"
BASELINE = "baseline"
EXAMPLE_COUNT = "example_count"

PASS, FAIL, NO_BASELINE, NOT_ENOUGH_DATA = "pass", "fail", "no_baseline", "not_enough_data"
# Failures first, then what could not be judged, then the passes.
STATUS_ORDER = {FAIL: 0, NOT_ENOUGH_DATA: 1, NO_BASELINE: 2, PASS: 3}

# (model, slice, task, metric) -> value. Slices are "Overall" or "column=value".
MetricTable = Mapping[tuple[str, str, str, str], float]


@dataclasses.dataclass(frozen=True)
class GateResult:
    """One check of one gate on one slice."""

    task: str
    # lower_bound, upper_bound, non_regression, slice_lower_bound, slice_upper_bound,
    # slice_bound (a slice with not enough data) or slice_gap
    gate: str
    metric: str
    slice: str
    candidate: float | None
    baseline: float | None
    bound: str
    status: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TaskVerdict:
    task: str
    passed: bool
    results: tuple[GateResult, ...]

    @property
    def failures(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.results if r.status == FAIL)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The verdict over every task: blessed only if no gate of any task failed."""

    blessed: bool
    tasks: tuple[TaskVerdict, ...]
    min_slice_examples: int
    has_baseline: bool

    @property
    def failures(self) -> tuple[GateResult, ...]:
        return tuple(r for t in self.tasks for r in t.failures)

    def sorted_results(self) -> list[GateResult]:
        """Every row, failures first, then by task in configuration order."""
        order = {t.task: i for i, t in enumerate(self.tasks)}
        rows = [r for t in self.tasks for r in t.results]
        return sorted(rows, key=lambda r: (STATUS_ORDER[r.status], order[r.task]))

    def as_dict(self) -> dict[str, object]:
        return {
            "blessed": self.blessed,
            "has_baseline": self.has_baseline,
            "min_slice_examples": self.min_slice_examples,
            "failures": [r.as_dict() for r in self.failures],
            "tasks": [
                {
                    "task": t.task,
                    "passed": t.passed,
                    "gates": [r.as_dict() for r in t.results],
                }
                for t in self.tasks
            ],
        }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _is_defined(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _direction(metric: str) -> str:
    return "higher is better" if METRIC_CATALOGUE[metric].higher_is_better else "lower is better"


def _bound_result(
    task: str,
    gate: str,
    metric: str,
    slice_: str,
    value: float | None,
    baseline: float | None,
    bound: float,
    is_floor: bool,
) -> GateResult:
    if is_floor:
        ok = _is_defined(value) and value >= bound
        kept, broke, symbol = "reaches the floor", "is below the floor", ">="
    else:
        ok = _is_defined(value) and value <= bound
        kept, broke, symbol = "stays under the ceiling", "is above the ceiling", "<="
    where = f"{metric} {_fmt(value)} on {slice_}"
    if ok:
        reason = f"{where} {kept} {_fmt(bound)}"
    else:
        by = f" by {abs(value - bound):.4g}" if _is_defined(value) else ""
        reason = f"{where} {broke} {_fmt(bound)}{by}"
    return GateResult(
        task,
        gate,
        metric,
        slice_,
        value,
        baseline,
        f"{symbol} {_fmt(bound)}",
        PASS if ok else FAIL,
        reason,
    )


def _bound_results(
    task: str,
    gate_kind: str,
    metric: str,
    slice_: str,
    value: float | None,
    baseline: float | None,
    lower: float | None,
    upper: float | None,
) -> list[GateResult]:
    """A floor and/or a ceiling of one metric on one slice."""
    results = []
    for bound, is_floor, name in ((lower, True, "lower_bound"), (upper, False, "upper_bound")):
        if bound is not None:
            results.append(
                _bound_result(
                    task, f"{gate_kind}{name}", metric, slice_, value, baseline, bound, is_floor
                )
            )
    return results


def _non_regression(
    task: str, gate: Gate, value: float | None, baseline: float | None
) -> GateResult:
    metric = gate.metric
    parts = []
    if gate.max_regression is not None:
        parts.append(f"worsening <= {_fmt(gate.max_regression)}")
    if gate.max_relative_regression is not None:
        parts.append(f"worsening <= {gate.max_relative_regression:.2%} of baseline")
    bound = f"{' and '.join(parts)} ({_direction(metric)})"

    def result(known_baseline: float | None, status: str, reason: str) -> GateResult:
        return GateResult(
            task, "non_regression", metric, OVERALL, value, known_baseline, bound, status, reason
        )

    if baseline is None:
        return result(
            None, NO_BASELINE, f"{metric}: no blessed baseline model yet; only the bounds apply"
        )
    if not _is_defined(value):
        return result(baseline, FAIL, f"{metric} of the candidate is undefined")
    higher = METRIC_CATALOGUE[metric].higher_is_better
    worsening = (baseline - value) if higher else (value - baseline)
    allowed = []
    if gate.max_regression is not None:
        allowed.append(gate.max_regression)
    if gate.max_relative_regression is not None:
        allowed.append(gate.max_relative_regression * abs(baseline))
    limit = min(allowed)
    ok = worsening <= limit + 1e-12
    if worsening <= 0:
        reason = f"{metric} {_fmt(value)} is no worse than the baseline {_fmt(baseline)}"
    elif ok:
        reason = (
            f"{metric} {_fmt(value)} is {worsening:.4g} worse than the baseline "
            f"{_fmt(baseline)}, within the allowed {limit:.4g}"
        )
    else:
        reason = (
            f"{metric} {_fmt(value)} is {worsening:.4g} worse than the baseline "
            f"{_fmt(baseline)}; at most {limit:.4g} is allowed"
        )
    return result(baseline, PASS if ok else FAIL, reason)


def _slices_of(table: MetricTable, column: str) -> list[str]:
    prefix = f"{column}="
    return sorted({key[1] for key in table if key[0] == CANDIDATE and key[1].startswith(prefix)})


def _slice_gate_results(
    task: str, gate: SliceGate, table: MetricTable, min_examples: int
) -> list[GateResult]:
    results: list[GateResult] = []
    eligible: dict[str, float] = {}
    slices = _slices_of(table, gate.slice)
    bound_parts = []
    if gate.lower_bound is not None:
        bound_parts.append(f">= {_fmt(gate.lower_bound)}")
    if gate.upper_bound is not None:
        bound_parts.append(f"<= {_fmt(gate.upper_bound)}")
    for slice_ in slices:
        value = table.get((CANDIDATE, slice_, task, gate.metric))
        baseline = table.get((BASELINE, slice_, task, gate.metric))
        count = table.get((CANDIDATE, slice_, task, EXAMPLE_COUNT), 0.0)
        if count < min_examples or not _is_defined(value):
            why = (
                f"{int(count)} examples, fewer than the minimum {min_examples}"
                if count < min_examples
                else f"{gate.metric} is undefined on this slice"
            )
            if bound_parts:
                results.append(
                    GateResult(
                        task,
                        "slice_bound",
                        gate.metric,
                        slice_,
                        value,
                        baseline,
                        " and ".join(bound_parts),
                        NOT_ENOUGH_DATA,
                        f"not enough data: {why}",
                    )
                )
            continue
        eligible[slice_] = value
        results.extend(
            _bound_results(
                task,
                "slice_",
                gate.metric,
                slice_,
                value,
                baseline,
                gate.lower_bound,
                gate.upper_bound,
            )
        )
    if gate.max_gap is not None:
        bound = f"gap <= {_fmt(gate.max_gap)}"
        where = f"{gate.slice}=*"
        if len(eligible) < 2:
            results.append(
                GateResult(
                    task,
                    "slice_gap",
                    gate.metric,
                    where,
                    None,
                    None,
                    bound,
                    NOT_ENOUGH_DATA,
                    f"not enough data: fewer than two {gate.slice} slices with "
                    f"{min_examples}+ examples",
                )
            )
        else:
            best = max(eligible, key=eligible.get)
            worst = min(eligible, key=eligible.get)
            gap = eligible[best] - eligible[worst]
            ok = gap <= gate.max_gap + 1e-12
            reason = (
                f"{gate.metric} gap {gap:.4g} between {best} ({_fmt(eligible[best])}) and "
                f"{worst} ({_fmt(eligible[worst])}) "
                + ("is within" if ok else "exceeds")
                + f" {_fmt(gate.max_gap)}"
            )
            results.append(
                GateResult(
                    task,
                    "slice_gap",
                    gate.metric,
                    where,
                    gap,
                    None,
                    bound,
                    PASS if ok else FAIL,
                    reason,
                )
            )
    if not slices:
        results.append(
            GateResult(
                task,
                "slice_bound",
                gate.metric,
                f"{gate.slice}=*",
                None,
                None,
                " and ".join(bound_parts) or "gap",
                NOT_ENOUGH_DATA,
                f"not enough data: the evaluation has no {gate.slice} slices",
            )
        )
    return results


def _task_verdict(
    task: Task, table: MetricTable, has_baseline: bool, min_examples: int
) -> TaskVerdict:
    results: list[GateResult] = []
    for gate in task.gates:
        value = table.get((CANDIDATE, OVERALL, task.name, gate.metric))
        baseline = table.get((BASELINE, OVERALL, task.name, gate.metric)) if has_baseline else None
        results.extend(
            _bound_results(
                task.name,
                "",
                gate.metric,
                OVERALL,
                value,
                baseline,
                gate.lower_bound,
                gate.upper_bound,
            )
        )
        if gate.max_regression is not None or gate.max_relative_regression is not None:
            results.append(_non_regression(task.name, gate, value, baseline))
    for slice_gate in task.slice_gates:
        results.extend(_slice_gate_results(task.name, slice_gate, table, min_examples))
    return TaskVerdict(task.name, all(r.status != FAIL for r in results), tuple(results))


def judge(config: PipelineConfig, table: MetricTable, has_baseline: bool) -> Verdict:
    """Checks every gate of every task against the evaluation's metrics.

    Args:
        config: the tasks and their gates, and ``min_slice_examples``.
        table: metric values keyed by (model, slice, task, metric); model is ``candidate`` or
            ``baseline``; slice is ``Overall`` or ``column=value``.
        has_baseline: whether a blessed baseline model was evaluated.

    Returns:
        The verdict; ``blessed`` is True only if no gate failed.
    """
    tasks = tuple(
        _task_verdict(task, table, has_baseline, config.min_slice_examples) for task in config.tasks
    )
    return Verdict(
        blessed=all(t.passed for t in tasks),
        tasks=tasks,
        min_slice_examples=config.min_slice_examples,
        has_baseline=has_baseline,
    )


_STATUS_LABEL = {
    PASS: "pass",
    FAIL: "**FAIL**",
    NO_BASELINE: "no baseline",
    NOT_ENOUGH_DATA: "not enough data",
}


def render_markdown(verdict: Verdict) -> str:
    """The verdict as Markdown: the decision, the failing gates, then every gate per task."""
    lines = [
        "# Gate verdict: "
        + (
            "BLESSED, every gate passed"
            if verdict.blessed
            else f"NOT BLESSED, {len(verdict.failures)} gate(s) failed"
        ),
        "",
        f"Baseline: {'the last blessed model' if verdict.has_baseline else 'none (first run)'}. "
        f"Slices with fewer than {verdict.min_slice_examples} examples are not judged.",
        "",
    ]
    header = [
        "| task | gate | metric | slice | candidate | baseline | bound | result | reason |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def row(r: GateResult) -> str:
        return (
            f"| {r.task} | {r.gate} | {r.metric} | {r.slice} | {_fmt(r.candidate)} | "
            f"{_fmt(r.baseline)} | {r.bound} | {_STATUS_LABEL[r.status]} | {r.reason} |"
        )

    if verdict.failures:
        lines += ["## Failing gates", ""] + header + [row(r) for r in verdict.failures] + [""]
    for task in verdict.tasks:
        status = "passed" if task.passed else "FAILED"
        lines += [f"## {task.task}: {status}", ""] + header
        ordered = sorted(task.results, key=lambda r: STATUS_ORDER[r.status])
        lines += [row(r) for r in ordered] + [""]
    return "\n".join(lines)


def render_console(verdict: Verdict) -> list[str]:
    """Short lines for the run summary: failures first, then one line per task."""
    lines = []
    for r in verdict.failures:
        lines.append(f"FAILED  {r.task} / {r.gate} / {r.slice}: {r.reason}")
    for task in verdict.tasks:
        counts: dict[str, int] = {}
        for r in task.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ", ".join(
            f"{n} {_STATUS_LABEL[s].strip('*').lower()}"
            for s, n in sorted(counts.items(), key=lambda kv: STATUS_ORDER[kv[0]])
        )
        lines.append(f"{'passed' if task.passed else 'FAILED'}  {task.task}: {summary}")
    return lines

"""The short summary printed at the end of a local run: the verdict first, failures on top."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.local_run import LocalPaths, RunOutcome
from pipeline.run_summary import latest_run, pushed_versions, read_verdict, trained_span

HEADLINES = {
    "pushed": "PUSHED: every gate of every task passed; the model is being served.",
    "unchanged": "UNCHANGED: nothing new since the last push; the served model stays.",
    "busy": "BUSY: another run is in progress on this output root; nothing done.",
    "not_blessed": "NOT BLESSED: a gate failed; nothing was pushed, the served model stays.",
    "data_rejected": "DATA REJECTED: the span broke the schema; nothing was trained.",
    "failed": "FAILED: the run stopped with an error; nothing was pushed.",
}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_summary(config: PipelineConfig, outcome: RunOutcome, output_root: str | Path) -> str:
    """Renders what the run did: status, failing gates, each task's metrics, where things are.

    Args:
        config: the configuration the run used.
        outcome: what ``run_local_pipeline`` returned.
        output_root: the run's output root.

    Returns:
        Plain text, a few dozen lines.
    """
    from components.gate_verdict.metrics import read_metric_table
    from components.gate_verdict.verdict import BASELINE, CANDIDATE, OVERALL

    paths = LocalPaths(Path(output_root).resolve())
    lines = ["", "=" * 78, HEADLINES[outcome.status], "=" * 78]
    if outcome.message:
        lines += [outcome.message.strip(), ""]

    if outcome.status == "busy":
        return "\n".join(lines)
    run = latest_run(paths.metadata_path, config.pipeline_name)
    span = trained_span(run) if run else None
    if span is not None:
        lines.append(f"Span: {span} (the newest under the data root)")
    if outcome.window_spans:
        spans = ", ".join(map(str, outcome.window_spans))
        lines.append(f"Trained and evaluated on the span window: {spans}")
    verdict = (
        read_verdict(run) if run and run.state("gate_verdict") in ("complete", "cached") else None
    )
    if verdict:
        for failure in verdict["failures"]:
            lines.append(
                f"FAILED  {failure['task']} / {failure['gate']} / {failure['slice']}: "
                f"{failure['reason']}"
            )
        table = read_metric_table(run.output_uri("evaluator", "evaluation"))
        for task in verdict["tasks"]:
            counts: dict[str, int] = {}
            for gate in task["gates"]:
                counts[gate["status"]] = counts.get(gate["status"], 0) + 1
            tally = ", ".join(
                f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items())
            )
            lines.append(f"{'passed' if task['passed'] else 'FAILED'}  {task['task']}: {tally}")
            for metric in config.task(task["task"]).metrics:
                if metric == "example_count":
                    continue
                value = table.get((CANDIDATE, OVERALL, task["task"], metric))
                base = table.get((BASELINE, OVERALL, task["task"], metric))
                baseline_text = f"   (baseline {_fmt(base)})" if base is not None else ""
                lines.append(f"          {metric:<16} {_fmt(value)}{baseline_text}")
        lines.append(f"Verdict: {Path(run.output_uri('gate_verdict', 'verdict')) / 'verdict.md'}")
        lines.append(f"Evaluation output: {run.output_uri('evaluator', 'evaluation')}")
    report_uri = run.output_uri("report", "report") if run else None
    if report_uri and (Path(report_uri) / "report.html").exists():
        lines.append(f"Report: {Path(report_uri) / 'report.html'}")
    versions = pushed_versions(paths.serving_model_dir)
    if versions:
        lines.append(f"Served model: {paths.serving_model_dir / versions[-1]}")
        lines.append(f"  ({len(versions)} pushed version(s) in {paths.serving_model_dir})")
    else:
        lines.append("Served model: none pushed yet")
    timings = ", ".join(f"{k} {v:.0f}s" for k, v in outcome.component_seconds.items())
    lines.append(f"Run time: {outcome.seconds:.0f} s ({timings})")
    lines.append(f"ML Metadata: {paths.metadata_path}")
    return "\n".join(lines)

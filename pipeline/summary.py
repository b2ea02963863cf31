"""The short summary printed at the end of a local run."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.local_run import LocalPaths, RunOutcome
from pipeline.run_summary import latest_run, pushed_versions, read_evaluation

_HEADLINES = {
    "status": {
        "pushed": "PUSHED: every task passed its gates; the model is being served.",
        "not_blessed": "NOT BLESSED: a task failed a gate; nothing was pushed.",
        "data_rejected": "DATA REJECTED: the span broke the schema; nothing was trained.",
        "failed": "FAILED: the run stopped with an error; nothing was pushed.",
    }
}


def _format_metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_summary(config: PipelineConfig, outcome: RunOutcome, output_root: str | Path) -> str:
    """Renders what the run did: status, where things are, each task's metrics and gates.

    Args:
        config: the configuration the run used.
        outcome: what ``run_local_pipeline`` returned.
        output_root: the run's output root.

    Returns:
        Plain text, a few dozen lines at most.
    """
    paths = LocalPaths(Path(output_root).resolve())
    lines = ["", "=" * 72, _HEADLINES["status"][outcome.status], "=" * 72]
    if outcome.message:
        lines += [outcome.message.strip(), ""]

    run = latest_run(paths.metadata_path, config.pipeline_name)
    evaluation_uri = run.output_uri("evaluator", "evaluation") if run else None
    if run and run.state("evaluator") in ("complete", "cached") and evaluation_uri:
        validation_ok, results = read_evaluation(evaluation_uri, config)
        lines.append(f"Evaluation output: {evaluation_uri}")
        for result in results:
            task = config.task(result.task)
            verdict = "FAIL" if result.failures else "pass"
            lines.append(f"  {task.name} ({task.type}): gates {verdict}")
            for metric in task.metrics:
                if metric == "example_count":
                    continue
                value = result.metrics.get(metric)
                base = result.baseline_metrics.get(metric)
                baseline_text = f"   (baseline {_format_metric(base)})" if base is not None else ""
                lines.append(f"      {metric:<16} {_format_metric(value)}{baseline_text}")
            for failure in result.failures:
                lines.append(f"      failed: {failure}")
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

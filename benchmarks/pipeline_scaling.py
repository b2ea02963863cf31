"""Pipeline speed and scaling: wall time per component, peak memory, the cached rerun, and the
bare reference, for the default pipeline on generated data.

Each size runs in a fresh output root; peak memory is this process's maximum resident set
(Beam runs in process here). Writes JSON and a Markdown table; never asserts on time.

Examples:
  uv run python -m benchmarks.pipeline_scaling --quick             # 10k rows
  uv run python -m benchmarks.pipeline_scaling --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from benchmarks.results import record  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(rows: int, workdir: Path) -> dict:
    """One size: first run, cached rerun, and the bare reference on the same rows."""

    from benchmarks.bare import split_rows, train_and_evaluate
    from patient_data.generator import write_span
    from pipeline.defaults import DEFAULT_CONFIG
    from pipeline.local_run import run_local_pipeline

    data_root = workdir / f"data-{rows}"
    records = write_span(data_root, span=1, num_rows=rows, seed=2026).records
    output_root = workdir / f"outputs-{rows}"
    first = run_local_pipeline(
        DEFAULT_CONFIG, data_root, output_root, DEFAULT_CONFIG.schema_path, echo=False
    )
    rerun = run_local_pipeline(
        DEFAULT_CONFIG, data_root, output_root, DEFAULT_CONFIG.schema_path, echo=False
    )
    started = time.perf_counter()
    train_and_evaluate(*split_rows(records), DEFAULT_CONFIG)
    bare_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "status": first.status,
        "pipeline_seconds": round(first.seconds, 1),
        "component_seconds": {k: round(v, 1) for k, v in first.component_seconds.items()},
        "rerun_seconds": round(rerun.seconds, 1),
        "rerun_share": round(rerun.seconds / first.seconds, 3),
        "bare_seconds": round(bare_seconds, 1),
        "pipeline_over_bare": round(first.seconds / bare_seconds, 2),
        "peak_rss_mb_so_far": round(_peak_rss_mb()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--output", default="benchmarks/results/pipeline_scaling")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for rows in sizes:
            results.append(measure(rows, Path(workdir)))
            print(json.dumps(results[-1]), flush=True)
    lines = [
        "| rows | pipeline s | Transform | Trainer | Evaluator | rerun s (share) | bare s "
        "| pipeline / bare | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["component_seconds"]
        lines.append(
            f"| {r['rows']:,} | {r['pipeline_seconds']} | {c.get('transform', '-')} "
            f"| {c.get('trainer', '-')} | {c.get('evaluator', '-')} "
            f"| {r['rerun_seconds']} ({r['rerun_share']:.0%}) | {r['bare_seconds']} "
            f"| {r['pipeline_over_bare']}x | {r['peak_rss_mb_so_far']} |"
        )
    table = "\n".join(lines)
    record(args.output, results, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

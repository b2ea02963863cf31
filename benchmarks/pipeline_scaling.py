"""Pipeline speed and scaling: wall time per component, peak memory, the cached rerun, and the
bare reference, for the default pipeline on generated data.

Each size runs in a fresh output root; peak memory is the maximum resident set of this
process (Beam in memory) and of its child processes (Beam's multi-processing workers). Writes
JSON and a Markdown table; never asserts on time.

Examples:
  uv run python -m benchmarks.pipeline_scaling --quick             # 10k rows
  uv run python -m benchmarks.pipeline_scaling --sizes 10000 100000 1000000
  # Beam's DirectRunner with worker processes for StatisticsGen, Transform and Evaluator
  uv run python -m benchmarks.pipeline_scaling --sizes 10000 100000 --beam-mode multi_processing
"""

from __future__ import annotations

import argparse
import contextlib
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


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def beam_args(mode: str, workers: int) -> list[str]:
    return [f"--direct_running_mode={mode}", f"--direct_num_workers={workers}"]


def measure(rows: int, workdir: Path, beam_pipeline_args: list[str], bare: bool = True) -> dict:
    """One size: first run, cached rerun, and the bare reference on the same rows."""

    import pandas as pd

    from benchmarks.bare import split_rows, train_and_evaluate
    from benchmarks.quality_vs_oracle import model_and_oracle
    from patient_data.generator import write_span
    from pipeline.defaults import DEFAULT_CONFIG
    from pipeline.local_run import run_local_pipeline

    data_root = workdir / f"data-{rows}"
    truth_root = workdir / f"truth-{rows}"
    write_span(data_root, span=1, num_rows=rows, seed=2026, truth_root=truth_root)
    output_root = workdir / f"outputs-{rows}"

    def run():
        return run_local_pipeline(
            DEFAULT_CONFIG,
            data_root,
            output_root,
            DEFAULT_CONFIG.schema_path,
            echo=False,
            beam_pipeline_args=beam_pipeline_args,
        )

    first = run()
    rerun = run()
    if first.status != "pushed":
        raise RuntimeError(f"the first run at {rows} rows ended {first.status}: {first.message}")
    quality = model_and_oracle(output_root, truth_root)
    bare_seconds = None
    if bare:
        started = time.perf_counter()
        # From the same CSV file the pipeline ingests, so that bare pays for reading it too.
        records = pd.read_csv(data_root / "span-1" / "patients.csv")
        train_and_evaluate(*split_rows(records), DEFAULT_CONFIG)
        bare_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "beam_pipeline_args": beam_pipeline_args,
        "status": first.status,
        "pipeline_seconds": round(first.seconds, 1),
        "component_seconds": {k: round(v, 1) for k, v in first.component_seconds.items()},
        "rerun_status": rerun.status,
        "rerun_seconds": round(rerun.seconds, 1),
        "rerun_component_seconds": {
            k: round(v, 1) for k, v in rerun.component_seconds.items() if v >= 0.1
        },
        "rerun_share": round(rerun.seconds / first.seconds, 3),
        "bare_seconds": round(bare_seconds, 1) if bare_seconds else None,
        "pipeline_over_bare": round(first.seconds / bare_seconds, 2) if bare_seconds else None,
        "peak_rss_mb_so_far": round(_peak_rss_mb()),
        "peak_child_rss_mb_so_far": round(_peak_rss_mb(resource.RUSAGE_CHILDREN)),
        "output_root": str(output_root),
        "truth_root": str(truth_root),
        "eval_rows": quality["rows"],
        "model": quality["model"],
        "oracle": quality["oracle"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument(
        "--beam-mode", choices=["in_memory", "multi_processing"], default="in_memory"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="Beam workers (default: 1 in memory, 2 else)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare reference")
    parser.add_argument("--output", help="results path without extension")
    parser.add_argument(
        "--workdir", help="keep the data and run outputs here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    workers = args.workers or (1 if args.beam_mode == "in_memory" else 2)
    output = args.output or (
        "benchmarks/results/pipeline_scaling"
        + ("" if args.beam_mode == "in_memory" else f"_{args.beam_mode}")
        + ("_quick" if args.quick else "")
    )
    results = []
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or stack.enter_context(tempfile.TemporaryDirectory())
        for rows in sizes:
            results.append(
                measure(rows, Path(workdir), beam_args(args.beam_mode, workers), not args.no_bare)
            )
            print(json.dumps(results[-1]), flush=True)
    record(output, results, table(results))
    return 0


COMPONENTS = ("example_gen", "statistics_gen", "transform", "trainer", "evaluator", "report")


def table(results: list[dict]) -> str:
    """One Markdown row per size: seconds per component, the rerun, the bare ratio, memory."""
    lines = [
        "| rows | Beam | pipeline s | "
        + " | ".join(COMPONENTS)
        + " | rerun s (share) | bare s | pipeline / bare | peak RSS MB (children) |",
        "|---|---|---|" + "---|" * len(COMPONENTS) + "---|---|---|---|",
    ]
    for r in results:
        c = r["component_seconds"]
        beam = " ".join(a.split("=")[1] for a in r.get("beam_pipeline_args", []))
        ratio = f"{r['pipeline_over_bare']}x" if r.get("pipeline_over_bare") else "-"
        lines.append(
            f"| {r['rows']:,} | {beam or 'in_memory 1'} | {r['pipeline_seconds']} | "
            + " | ".join(str(c.get(name, "-")) for name in COMPONENTS)
            + f" | {r['rerun_seconds']} ({r['rerun_share']:.0%}) | {r['bare_seconds'] or '-'} "
            f"| {ratio} | {r['peak_rss_mb_so_far']} ({r.get('peak_child_rss_mb_so_far', 0)}) |"
        )
    lines += [
        "",
        "Model against the oracle on each run's own eval split (AUC higher, MAE lower is better):",
        "",
        "| rows | eval rows | disease AUC model / oracle | stay MAE model / oracle |",
        "|---|---|---|---|",
    ]
    for r in results:
        auc = (r["model"]["disease_risk"]["auc"], r["oracle"]["disease_risk"]["auc"])
        mae = (
            r["model"]["length_of_stay_days"]["mae"],
            r["oracle"]["length_of_stay_days"]["mae"],
        )
        lines.append(
            f"| {r['rows']:,} | {r['eval_rows']:,} | {auc[0]:.4f} / {auc[1]:.4f} "
            f"| {mae[0]:.3f} / {mae[1]:.3f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

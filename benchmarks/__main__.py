"""The benchmark suite: every benchmark, one after the other, each in its own process.

  uv run python -m benchmarks            # the full suite (about 45 min on 2 cores)
  uv run python -m benchmarks --quick    # a small version (about 9 min): 10k rows, fewer seeds
  uv run python -m benchmarks --only multitask_claim
  uv run python -m benchmarks --workdir /tmp/bench --only pipeline_scaling baselines

Each benchmark writes ``benchmarks/results/<name>.json`` and ``.md`` (``<name>_quick`` with
``--quick``, which git ignores); the full suite then copies the tables into
``benchmarks/README.md`` (``benchmarks.readme``). ``baselines``, ``serving_speed`` and
``evaluator_cost`` read the pipeline run that ``pipeline_scaling`` made at 100k rows (10k
with ``--quick``) in the work folder, ``trainer_cache`` the largest one (1M rows): a temporary
folder, or ``--workdir`` to keep the runs (and to run those steps alone later). Nothing here
asserts on time; a failed step is reported and the suite exits 1 after running the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import readme
from benchmarks.results import busy_warning

RESULTS = Path("benchmarks/results")
STEPS = (
    "pipeline_scaling",
    "pipeline_scaling_multi_processing",
    "serving_speed",
    "evaluator_cost",
    "trainer_cache",
    "baselines",
    "multitask_claim",
)


def plan(quick: bool, workdir: Path) -> dict[str, list[str]]:
    """The command line of each step."""
    suffix = "_quick" if quick else ""
    sizes = ["10000"] if quick else ["10000", "100000", "1000000"]
    # The run the quality and serving benchmarks read: 100k rows in the full suite.
    served_size = "10000" if quick else "100000"
    run_root = workdir / f"outputs-{served_size}"
    return {
        "pipeline_scaling": [
            "benchmarks.pipeline_scaling",
            "--sizes",
            *sizes,
            "--workdir",
            str(workdir),
            "--output",
            str(RESULTS / f"pipeline_scaling{suffix}"),
        ],
        "pipeline_scaling_multi_processing": [
            "benchmarks.pipeline_scaling",
            "--sizes",
            *(["10000"] if quick else ["10000", "100000"]),
            "--beam-mode",
            "multi_processing",
            "--no-bare",
            "--output",
            str(RESULTS / f"pipeline_scaling_multi_processing{suffix}"),
        ],
        "serving_speed": [
            "benchmarks.serving_speed",
            "--serving-dir",
            str(run_root / "serving_model"),
            "--output",
            str(RESULTS / f"serving_speed{suffix}"),
        ],
        "evaluator_cost": [
            "benchmarks.evaluator_cost",
            "--output-root",
            str(run_root),
            "--output",
            str(RESULTS / f"evaluator_cost{suffix}"),
        ],
        "trainer_cache": [
            "benchmarks.trainer_cache",
            # The largest run: where reading the splits every epoch cost the most.
            "--output-root",
            str(workdir / f"outputs-{sizes[-1]}"),
            "--output",
            str(RESULTS / f"trainer_cache{suffix}"),
        ],
        "baselines": [
            "benchmarks.baselines",
            "--output-root",
            str(run_root),
            "--truth-root",
            str(workdir / f"truth-{served_size}"),
            "--output",
            str(RESULTS / f"baselines{suffix}"),
        ],
        "multitask_claim": [
            "benchmarks.multitask_claim",
            *(["--quick"] if quick else []),
            "--output",
            str(RESULTS / f"multitask_claim{suffix}"),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the small version")
    parser.add_argument("--only", nargs="+", choices=STEPS, help="run only these steps")
    parser.add_argument("--workdir", help="keep the pipeline runs here (default: temporary)")
    args = parser.parse_args(argv)
    chosen = args.only or list(STEPS)

    summary = []
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="benchmarks-")
        )
        steps = plan(args.quick, Path(workdir))
        for name in (s for s in STEPS if s in chosen):
            command = [sys.executable, "-m", *steps[name]]
            warning = busy_warning()
            if warning:
                print(warning, flush=True)
            print(f"\n=== {name}: {' '.join(command[2:])}", flush=True)
            started = time.monotonic()
            code = subprocess.call(command)
            seconds = time.monotonic() - started
            summary.append((name, code, seconds))
            print(f"=== {name}: exit {code} after {seconds:.0f} s", flush=True)

    print("\n| step | result | wall s |\n|---|---|---|")
    for name, code, seconds in summary:
        print(f"| {name} | {'ok' if code == 0 else f'FAILED (exit {code})'} | {seconds:.0f} |")
    ok = all(code == 0 for _, code, _ in summary)
    if not args.quick:
        # The README quotes the latest recorded tables, each with its machine and date.
        try:
            quoted = readme.update()
            print(f"\n{readme.README}: quotes {len(quoted)} result tables")
        except readme.MissingResults as error:
            print(f"\nerror: {error}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Does learning the two tasks together help? Multi-task against one single-task model per
task: the same trunk and head, the same preprocessing, on growing training sets and seeds.

Prints mean +- sd per task and size, and writes JSON and a Markdown table.

Examples:
  uv run python -m benchmarks.multitask_claim --quick          # 1k and 5k rows, 2 seeds
  uv run python -m benchmarks.multitask_claim                  # 1k, 5k, 20k, 100k; 3 seeds
  uv run python -m benchmarks.multitask_claim --sizes 1000 5000 20000 --seeds 3
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from benchmarks.bare import train_and_evaluate  # noqa: E402
from benchmarks.results import record  # noqa: E402

HEADLINE = {"disease_risk": "auc", "length_of_stay_days": "mae"}


def main(argv: list[str] | None = None) -> int:
    import dataclasses

    from patient_data.generator import generate_span
    from pipeline.defaults import DEFAULT_CONFIG

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", help="training sizes (overrides)")
    parser.add_argument("--seeds", type=int, default=None, help="how many seeds (overrides)")
    parser.add_argument("--output", default="benchmarks/results/multitask_claim")
    args = parser.parse_args(argv)
    sizes = [1_000, 5_000] if args.quick else [1_000, 5_000, 20_000, 100_000]
    seeds = [0, 1] if args.quick else [0, 1, 2]
    sizes = args.sizes or sizes
    seeds = list(range(args.seeds)) if args.seeds else seeds

    test = generate_span(20_000, seed=999, span=99).records
    pool = generate_span(max(sizes) + max(sizes) // 7 + 1, seed=1000, span=98).records
    results: dict = {}
    for size in sizes:
        for seed in seeds:
            rows = pool.sample(n=size + size // 7, random_state=seed)
            train, validation = rows.iloc[:size], rows.iloc[size:]
            training = dataclasses.replace(DEFAULT_CONFIG.training, seed=seed)
            variants = {"multi-task": DEFAULT_CONFIG.replace(training=training)}
            for task in DEFAULT_CONFIG.tasks:
                variants[f"single:{task.name}"] = DEFAULT_CONFIG.replace(
                    tasks=(task,), training=training
                )
            for name, config in variants.items():
                scores = train_and_evaluate(train, validation, test, config)
                for task, metrics in scores.items():
                    kind = "multi-task" if name == "multi-task" else "single-task"
                    value = metrics[HEADLINE[task]]
                    results.setdefault(task, {}).setdefault(size, {}).setdefault(kind, []).append(
                        value
                    )
                    print(
                        f"size {size} seed {seed} {name:<30} {task} {HEADLINE[task]}={value:.4f}",
                        flush=True,
                    )

    lines = [
        "| task | metric | rows | multi-task | single-task | difference |",
        "|---|---|---|---|---|---|",
    ]
    for task, by_size in results.items():
        for size, kinds in by_size.items():
            multi, single = np.array(kinds["multi-task"]), np.array(kinds["single-task"])
            lines.append(
                f"| {task} | {HEADLINE[task]} | {size} | {multi.mean():.4f} ± {multi.std():.4f} "
                f"| {single.mean():.4f} ± {single.std():.4f} "
                f"| {multi.mean() - single.mean():+.4f} |"
            )
    table = "\n".join(lines)
    record(args.output, results, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

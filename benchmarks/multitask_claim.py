"""Does learning the two tasks together help? Multi-task against one single-task model per
task: the same trunk and head, the same preprocessing, on growing training sets and seeds; the
multi-task model with static loss weights and with learned uncertainty weighting.

Prints mean +- sd per task, size and variant, says for each whether multi-task wins, ties or
loses against single-task (a difference larger than twice its standard error over seeds), and
writes JSON and a Markdown table.

Examples:
  uv run python -m benchmarks.multitask_claim --quick          # 1k and 5k rows, 2 seeds
  uv run python -m benchmarks.multitask_claim                  # 1k, 5k, 20k, 100k; 3 seeds
  uv run python -m benchmarks.multitask_claim --sizes 1000 5000 20000 --seeds 3
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from benchmarks.bare import train_and_evaluate  # noqa: E402
from benchmarks.results import record  # noqa: E402

HEADLINE = {"disease_risk": "auc", "length_of_stay_days": "mae"}
HIGHER_IS_BETTER = {"auc": True, "mae": False}
SINGLE = "single-task"
MULTI = {"static": "multi-task, static weights", "uncertainty": "multi-task, learned weights"}


def compare(multi: list[float], single: list[float], higher_is_better: bool) -> dict:
    """Mean difference (multi - single), its standard error over seeds, and the plain word:
    ``wins`` / ``loses`` when the difference is more than twice its standard error in the
    good / bad direction, else ``ties``."""
    a, b = np.asarray(multi, float), np.asarray(single, float)
    difference = float(a.mean() - b.mean())
    ddof = 1 if min(len(a), len(b)) > 1 else 0
    error = float(np.sqrt(a.var(ddof=ddof) / len(a) + b.var(ddof=ddof) / len(b)))
    better = difference > 0 if higher_is_better else difference < 0
    word = "ties" if abs(difference) <= 2 * error else ("wins" if better else "loses")
    return {"difference": difference, "standard_error": error, "outcome": word}


def run(sizes: list[int], seeds: list[int], test_rows: int) -> dict:
    from patient_data.generator import generate_span
    from pipeline.defaults import DEFAULT_CONFIG

    test = generate_span(test_rows, seed=999, span=99).records
    pool = generate_span(max(sizes) + max(sizes) // 7 + 1, seed=1000, span=98).records
    scores: dict = {}  # task -> size -> variant -> [value per seed]
    learned: dict = {}  # size -> [{task: weight} per seed]
    for size in sizes:
        for seed in seeds:
            rows = pool.sample(n=size + size // 7, random_state=seed)
            train, validation = rows.iloc[:size], rows.iloc[size:]
            variants = {}
            for weighting, label in MULTI.items():
                training = dataclasses.replace(
                    DEFAULT_CONFIG.training, seed=seed, loss_weighting=weighting
                )
                variants[label] = DEFAULT_CONFIG.replace(training=training)
            training = dataclasses.replace(DEFAULT_CONFIG.training, seed=seed)
            for task in DEFAULT_CONFIG.tasks:
                variants[f"{SINGLE}:{task.name}"] = DEFAULT_CONFIG.replace(
                    tasks=(task,), training=training
                )
            for name, config in variants.items():
                details: dict = {}
                result = train_and_evaluate(train, validation, test, config, details)
                if details.get("learned_loss_weights"):
                    learned.setdefault(size, []).append(details["learned_loss_weights"])
                for task, metrics in result.items():
                    value = float(metrics[HEADLINE[task]])
                    variant = SINGLE if name.startswith(SINGLE) else name
                    scores.setdefault(task, {}).setdefault(size, {}).setdefault(variant, []).append(
                        value
                    )
                    print(
                        f"size {size} seed {seed} {name:<32} {task} {HEADLINE[task]}={value:.4f}"
                        f" epochs={details['epochs']}",
                        flush=True,
                    )
    return {"scores": scores, "learned_loss_weights": learned}


def summarise(scores: dict) -> list[dict]:
    rows = []
    for task, by_size in scores.items():
        metric = HEADLINE[task]
        for size, variants in by_size.items():
            single = variants[SINGLE]
            for label in MULTI.values():
                multi = variants[label]
                rows.append(
                    {
                        "task": task,
                        "metric": metric,
                        "rows": size,
                        "variant": label,
                        "multi_mean": float(np.mean(multi)),
                        "multi_sd": float(np.std(multi, ddof=1 if len(multi) > 1 else 0)),
                        "single_mean": float(np.mean(single)),
                        "single_sd": float(np.std(single, ddof=1 if len(single) > 1 else 0)),
                        **compare(multi, single, HIGHER_IS_BETTER[metric]),
                    }
                )
    return rows


def weighting_verdict(rows: list[dict]) -> list[dict]:
    """Static against learned weighting, per task and size: which is better, and by how much."""
    verdicts = []
    by_key = {(r["task"], r["rows"], r["variant"]): r for r in rows}
    for task, size in sorted({(r["task"], r["rows"]) for r in rows}):
        static = by_key[(task, size, MULTI["static"])]
        learned = by_key[(task, size, MULTI["uncertainty"])]
        higher = HIGHER_IS_BETTER[static["metric"]]
        gain = learned["multi_mean"] - static["multi_mean"]
        verdicts.append(
            {
                "task": task,
                "rows": size,
                "learned_minus_static": gain,
                "better": "tie"
                if abs(gain) < 1e-4
                else ("learned" if (gain > 0) == higher else "static"),
            }
        )
    return verdicts


def table(rows: list[dict], learned: dict) -> str:
    lines = [
        "| task | metric | rows | single-task | multi-task variant | multi-task "
        "| multi - single | outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['metric']} | {r['rows']:,} "
            f"| {r['single_mean']:.4f} ± {r['single_sd']:.4f} | {r['variant']} "
            f"| {r['multi_mean']:.4f} ± {r['multi_sd']:.4f} "
            f"| {r['difference']:+.4f} (se {r['standard_error']:.4f}) | {r['outcome']} |"
        )
    lines += ["", "| rows | learned loss weight exp(-s), mean over seeds |", "|---|---|"]
    for size, per_seed in learned.items():
        tasks = per_seed[0].keys()
        text = ", ".join(f"{t} {np.mean([w[t] for w in per_seed]):.2f}" for t in tasks)
        lines.append(f"| {size:,} | {text} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", help="training sizes (overrides)")
    parser.add_argument("--seeds", type=int, default=None, help="how many seeds (overrides)")
    parser.add_argument("--test-rows", type=int, default=20_000)
    parser.add_argument("--output", help="results path without extension")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1_000, 5_000] if args.quick else [1_000, 5_000, 20_000, 100_000])
    seeds = list(range(args.seeds or (2 if args.quick else 3)))
    output = args.output or (
        "benchmarks/results/multitask_claim" + ("_quick" if args.quick else "")
    )

    measured = run(sizes, seeds, args.test_rows)
    rows = summarise(measured["scores"])
    results = {
        "sizes": sizes,
        "seeds": seeds,
        "test_rows": args.test_rows,
        "comparisons": rows,
        "weighting": weighting_verdict(rows),
        **measured,
    }
    record(output, results, table(rows, measured["learned_loss_weights"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

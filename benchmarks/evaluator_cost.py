"""Where the Evaluator's time goes: the pipeline's TFMA config against cut-down variants, on the
eval split and model of one pipeline run.

The Evaluator is the largest step from 100k rows (benchmarks/README.md). This times TFMA's
``run_model_analysis`` (the Evaluator's own Beam job, without TFX around it) with: the
pipeline's config; TFMA-native metrics in place of the Keras ones (RMSE dropped: TFMA has
none); AUCs with 200 thresholds instead of 1000; no AUCs; the overall slice only; and the
example count on the overall slice only (model inference and extraction alone).

Examples:
  uv run python -m benchmarks.evaluator_cost --output-root outputs          # after `make run`
  uv run python -m benchmarks.evaluator_cost --rows 100000                  # runs the pipeline
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from benchmarks.results import record  # noqa: E402

KERAS_TO_TFMA = {
    "MeanSquaredError": "MeanSquaredError",
    "BinaryCrossentropy": "BinaryCrossEntropy",
    "MeanAbsoluteError": "MeanAbsoluteError",
}


def _keep_metrics(config, keep):
    for spec in config.metrics_specs:
        kept = [m for m in spec.metrics if keep(m)]
        del spec.metrics[:]
        spec.metrics.extend(kept)
    return config


def variants(base) -> dict:
    """The pipeline's EvalConfig and the cut-down ones, by name."""
    import tensorflow_model_analysis as tfma

    native = copy.deepcopy(base)
    for spec in native.metrics_specs:
        replaced = []
        for metric in spec.metrics:
            if metric.class_name == "RootMeanSquaredError":
                continue
            if metric.class_name in KERAS_TO_TFMA:
                name = json.loads(metric.config)["name"]
                metric = tfma.MetricConfig(
                    class_name=KERAS_TO_TFMA[metric.class_name],
                    module="tensorflow_model_analysis.metrics",
                    config=json.dumps({"name": name}),
                )
            replaced.append(metric)
        del spec.metrics[:]
        spec.metrics.extend(replaced)

    fewer_thresholds = copy.deepcopy(base)
    for spec in fewer_thresholds.metrics_specs:
        for metric in spec.metrics:
            if metric.class_name == "AUC":
                settings = json.loads(metric.config)
                settings["num_thresholds"] = 200
                metric.config = json.dumps(settings)

    overall = copy.deepcopy(base)
    del overall.slicing_specs[1:]
    count_only = _keep_metrics(copy.deepcopy(overall), lambda m: m.class_name == "ExampleCount")
    return {
        "pipeline config (4 slicing specs)": base,
        "TFMA-native metrics, no RMSE": native,
        "AUCs with 200 thresholds": fewer_thresholds,
        "no AUC / PR-AUC": _keep_metrics(copy.deepcopy(base), lambda m: m.class_name != "AUC"),
        "overall slice only": overall,
        "example count, overall only": count_only,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-root", help="an existing local run (default: make one)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows when making a run")
    parser.add_argument("--quick", action="store_true", help="10k rows when making a run")
    parser.add_argument("--output", help="results path without extension")
    args = parser.parse_args(argv)
    output = args.output or ("benchmarks/results/evaluator_cost" + ("_quick" if args.quick else ""))

    import tensorflow_model_analysis as tfma

    from patient_data.generator import write_span
    from pipeline.defaults import DEFAULT_CONFIG
    from pipeline.evaluation import build_eval_config
    from pipeline.local_run import LocalPaths, run_local_pipeline
    from pipeline.run_summary import latest_run

    workdir = Path(tempfile.mkdtemp(prefix="evaluator-cost-"))
    output_root = Path(args.output_root) if args.output_root else workdir / "outputs"
    if not args.output_root:
        rows = 10_000 if args.quick else args.rows
        write_span(workdir / "data", span=1, num_rows=rows, seed=2026)
        outcome = run_local_pipeline(
            DEFAULT_CONFIG, workdir / "data", output_root, DEFAULT_CONFIG.schema_path, echo=False
        )
        if outcome.status != "pushed":
            parser.error(f"the pipeline run ended {outcome.status}: {outcome.message}")
    run = latest_run(LocalPaths(output_root.resolve()).metadata_path, DEFAULT_CONFIG.pipeline_name)
    if run is None or not run.output_uri("trainer", "model"):
        parser.error(f"no trained run under {output_root}")
    model_path = os.path.join(run.output_uri("trainer", "model"), "Format-Serving")
    examples = os.path.join(run.output_uri("example_gen", "examples"), "Split-eval", "*")

    results = []
    for name, config in variants(build_eval_config(DEFAULT_CONFIG)).items():
        shared = tfma.default_eval_shared_model(
            eval_saved_model_path=model_path, eval_config=config
        )
        started = time.perf_counter()
        tfma.run_model_analysis(
            eval_shared_model=shared,
            eval_config=config,
            data_location=examples,
            file_format="tfrecords",
            output_path=str(workdir / f"evaluation-{len(results)}"),
        )
        seconds = time.perf_counter() - started
        results.append({"variant": name, "seconds": round(seconds, 1)})
        print(json.dumps(results[-1]), flush=True)

    eval_rows = sum(1 for _ in _records(examples))
    full = results[0]["seconds"]
    lines = [
        f"One model, {eval_rows:,} eval rows, TFMA alone (no baseline model):",
        "",
        "| variant | seconds | share of the pipeline config |",
        "|---|---|---|",
    ]
    lines += [f"| {r['variant']} | {r['seconds']} | {r['seconds'] / full:.0%} |" for r in results]
    record(output, {"eval_rows": eval_rows, "variants": results}, "\n".join(lines))
    return 0


def _records(pattern: str):
    import glob

    import tensorflow as tf

    return tf.data.TFRecordDataset(sorted(glob.glob(pattern)), compression_type="GZIP")


if __name__ == "__main__":
    raise SystemExit(main())

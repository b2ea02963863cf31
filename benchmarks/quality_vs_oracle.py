"""The model's metrics next to the best achievable (oracle) on the same evaluation split.

Reads the latest local run: the Evaluator's metrics for the model, and the ExampleGen ``eval``
split joined by ``patient_id`` with the generator's truth for the oracle (the true probability,
and the true expected stay, and its median for MAE).

Examples:
  uv run python benchmarks/quality_vs_oracle.py                       # after `make run`
  uv run python benchmarks/quality_vs_oracle.py --output-root /tmp/run --truth-root /tmp/truth
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from patient_data.generator import LENGTH_OF_STAY_LOG_SIGMA  # noqa: E402
from pipeline.defaults import BUNDLED_TRUTH_ROOT, DEFAULT_CONFIG, DEFAULT_OUTPUT_ROOT  # noqa: E402


def read_eval_split(examples_uri: str) -> pd.DataFrame:
    """patient_id and labels of ExampleGen's eval split."""
    import tensorflow as tf

    spec = {
        "patient_id": tf.io.FixedLenFeature([], tf.string),
        "disease_risk": tf.io.FixedLenFeature([], tf.int64),
        "length_of_stay_days": tf.io.FixedLenFeature([], tf.float32),
    }
    files = sorted(glob.glob(os.path.join(examples_uri, "Split-eval", "*")))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(4096)
    frames = []
    for batch in dataset:
        parsed = tf.io.parse_example(batch, spec)
        frames.append(
            pd.DataFrame(
                {
                    "patient_id": [p.decode() for p in parsed["patient_id"].numpy()],
                    "disease_risk": parsed["disease_risk"].numpy(),
                    "length_of_stay_days": parsed["length_of_stay_days"].numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def oracle_metrics(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    from sklearn import metrics

    p = frame.true_disease_probability.clip(1e-7, 1 - 1e-7)
    y = frame.disease_risk
    stay = frame.length_of_stay_days
    mean_stay = frame.true_expected_length_of_stay_days
    median_stay = mean_stay * np.exp(-(LENGTH_OF_STAY_LOG_SIGMA**2) / 2)
    return {
        "disease_risk": {
            "auc": metrics.roc_auc_score(y, p),
            "pr_auc": metrics.average_precision_score(y, p),
            "brier_score": metrics.brier_score_loss(y, p),
            "log_loss": metrics.log_loss(y, p),
        },
        "length_of_stay_days": {
            # MAE is smallest for the median, RMSE for the mean: the oracle uses each.
            "mae": metrics.mean_absolute_error(stay, median_stay),
            "rmse": float(np.sqrt(metrics.mean_squared_error(stay, mean_stay))),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[5:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output-root", default=str(DEFAULT_OUTPUT_ROOT))
    parser.add_argument("--truth-root", default=str(BUNDLED_TRUTH_ROOT))
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    from components.gate_verdict.metrics import read_metric_table
    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import latest_run

    paths = LocalPaths(Path(args.output_root).resolve())
    run = latest_run(paths.metadata_path, DEFAULT_CONFIG.pipeline_name)
    if run is None or not run.output_uri("evaluator", "evaluation"):
        parser.error(f"no evaluated run under {paths.output_root}; run `make run` first")
    table = read_metric_table(run.output_uri("evaluator", "evaluation"))
    model: dict[str, dict[str, float]] = {}
    for (which, slice_, task, metric), value in table.items():
        if which == "candidate" and slice_ == "Overall":
            model.setdefault(task, {})[metric] = value

    evaluation = read_eval_split(run.output_uri("example_gen", "examples"))
    truth = pd.concat(pd.read_csv(f) for f in sorted(Path(args.truth_root).glob("span-*.csv")))
    joined = evaluation.merge(truth, on="patient_id", how="inner")
    if len(joined) != len(evaluation):
        parser.error(f"only {len(joined)} of {len(evaluation)} eval rows have truth")
    oracle = oracle_metrics(joined)

    print(f"Evaluation split: {len(joined)} rows (run output {paths.output_root})")
    print("| task | metric | model | oracle | model / oracle |")
    print("|---|---|---|---|---|")
    for task, figures in oracle.items():
        for metric, best in figures.items():
            value = model[task].get(metric, float("nan"))
            print(f"| {task} | {metric} | {value:.4f} | {best:.4f} | {value / best:.3f} |")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": len(joined), "model": model, "oracle": oracle}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The model's metrics next to the best achievable (oracle) on the same evaluation split.

Reads the latest local run: the Evaluator's metrics for the model, and the ExampleGen ``eval``
split joined by ``patient_id`` with the generator's truth for the oracle (the true probability,
and the true expected stay, and its median for MAE).

Examples:
  uv run python -m benchmarks.quality_vs_oracle                       # after `make run`
  uv run python -m benchmarks.quality_vs_oracle --output-root /tmp/run --truth-root /tmp/truth
"""

from __future__ import annotations

import argparse
import glob
import os
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.results import record  # noqa: E402
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
    parser.add_argument("--output", default="benchmarks/results/quality_vs_oracle")
    args = parser.parse_args(argv)
    try:
        figures = model_and_oracle(args.output_root, args.truth_root)
    except LookupError as error:
        parser.error(str(error))
    record(args.output, figures, table(figures))
    return 0


def model_and_oracle(output_root: str | os.PathLike, truth_root: str | os.PathLike) -> dict:
    """The latest run's candidate metrics (overall, eval split) and the oracle's on the same
    rows.

    Raises:
        LookupError: without an evaluated run under ``output_root``, or when eval rows have no
            truth under ``truth_root``.
    """
    from components.gate_verdict.metrics import read_metric_table
    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import latest_run

    paths = LocalPaths(Path(output_root).resolve())
    run = latest_run(paths.metadata_path, DEFAULT_CONFIG.pipeline_name)
    if run is None or not run.output_uri("evaluator", "evaluation"):
        raise LookupError(f"no evaluated run under {paths.output_root}; run `make run` first")
    metric_table = read_metric_table(run.output_uri("evaluator", "evaluation"))
    model: dict[str, dict[str, float]] = {}
    for (which, slice_, task, metric), value in metric_table.items():
        if which == "candidate" and slice_ == "Overall":
            model.setdefault(task, {})[metric] = value

    evaluation = read_eval_split(run.output_uri("example_gen", "examples"))
    truth = pd.concat(pd.read_csv(f) for f in sorted(Path(truth_root).glob("span-*.csv")))
    joined = evaluation.merge(truth, on="patient_id", how="inner")
    if len(joined) != len(evaluation):
        raise LookupError(f"only {len(joined)} of {len(evaluation)} eval rows have truth")
    return {"rows": len(joined), "model": model, "oracle": oracle_metrics(joined)}


def table(figures: dict) -> str:
    lines = [
        f"Evaluation split: {figures['rows']:,} rows",
        "",
        "| task | metric | model | oracle | model / oracle |",
        "|---|---|---|---|---|",
    ]
    for task, by_metric in figures["oracle"].items():
        for metric, best in by_metric.items():
            value = figures["model"][task].get(metric, float("nan"))
            lines.append(f"| {task} | {metric} | {value:.4f} | {best:.4f} | {value / best:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

"""The model's metrics next to the best achievable (oracle) on the same evaluation split.

Reads the latest local run: the Evaluator's metrics for the model, and the ExampleGen ``eval``
split joined by ``patient_id`` with the generator's truth for the oracle (the true probability,
and the true expected stay, and its median for MAE). ``pipeline_scaling`` records this for
each size; ``baselines`` reads runs with the same functions and adds the alternatives.

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


def read_split(examples_uri: str, split: str) -> tuple[pd.DataFrame, list[bytes]]:
    """One ExampleGen split as a frame (a missing value is NaN) and as the serialized
    ``tf.Example``s it was read from, in the same order.

    Raises:
        LookupError: if the split has no files.
    """
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise LookupError(f"no Split-{split} files under {examples_uri}")
    serialized = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    rows = []
    for raw in serialized:
        row = {}
        for name, feature in tf.train.Example.FromString(raw).features.feature.items():
            kind = feature.WhichOneof("kind")
            values = getattr(feature, kind).value if kind else []
            if values:
                row[name] = values[0].decode() if kind == "bytes_list" else values[0]
        rows.append(row)
    return pd.DataFrame(rows), serialized


def truth_of(frame: pd.DataFrame, truth_root: str | os.PathLike) -> pd.DataFrame:
    """The generator's truth for each row of ``frame``, in its order (joined by patient_id).

    Raises:
        LookupError: if some rows have no truth under ``truth_root``.
    """
    truth = pd.concat(pd.read_csv(f) for f in sorted(Path(truth_root).glob("span-*.csv")))
    joined = frame[["patient_id"]].merge(truth, on="patient_id", how="left")
    missing = int(joined["true_disease_probability"].isna().sum())
    if missing:
        raise LookupError(f"{missing} of {len(frame)} eval rows have no truth in {truth_root}")
    return joined


def oracle_metrics(frame: pd.DataFrame, truth: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The best achievable metrics on ``frame``'s rows: the generator's true probability, and
    for length of stay its true median (MAE is smallest there) and mean (RMSE is)."""
    from benchmarks.bare import score

    tasks = {task.name: task for task in DEFAULT_CONFIG.tasks}
    mean_stay = truth["true_expected_length_of_stay_days"].to_numpy()
    median_stay = mean_stay * np.exp(-(LENGTH_OF_STAY_LOG_SIGMA**2) / 2)
    risk, stay = frame["disease_risk"], frame["length_of_stay_days"]
    return {
        "disease_risk": score(
            tasks["disease_risk"], risk, truth["true_disease_probability"].to_numpy()
        ),
        "length_of_stay_days": {
            "mae": score(tasks["length_of_stay_days"], stay, median_stay)["mae"],
            "rmse": score(tasks["length_of_stay_days"], stay, mean_stay)["rmse"],
        },
    }


def evaluator_metrics(run) -> dict[str, dict[str, float]]:
    """The Evaluator's overall metrics of a run's candidate model, by task."""
    from components.gate_verdict.metrics import read_metric_table

    model: dict[str, dict[str, float]] = {}
    for (which, slice_, task, metric), value in read_metric_table(
        run.output_uri("evaluator", "evaluation")
    ).items():
        if which == "candidate" and slice_ == "Overall":
            model.setdefault(task, {})[metric] = value
    return model


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
    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import latest_run

    paths = LocalPaths(Path(output_root).resolve())
    run = latest_run(paths.metadata_path, DEFAULT_CONFIG.pipeline_name)
    if run is None or not run.output_uri("evaluator", "evaluation"):
        raise LookupError(f"no evaluated run under {paths.output_root}; run `make run` first")
    evaluation, _ = read_split(run.output_uri("example_gen", "examples"), "eval")
    return {
        "rows": len(evaluation),
        "model": evaluator_metrics(run),
        "oracle": oracle_metrics(evaluation, truth_of(evaluation, truth_root)),
    }


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

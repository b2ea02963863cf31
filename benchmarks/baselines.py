"""Quality against the oracle and the obvious alternatives, all on one pipeline run's eval split.

Reads a local pipeline run (in the suite, the 100k-row run of ``pipeline_scaling``): ExampleGen's
train, validation and eval splits, the model the run pushed, and the generator's truth. Every
model below is scored by one function (``bare.score``) on the same eval split rows:

* **the pipeline's pushed model**, through its ``serving_default`` signature on the split's
  serialized ``tf.Example``s, exactly as it is served;
* **bare**: the same ``build_model`` and preprocessing trained in one process on the same train
  and validation splits (what the model is without TFX; the two should agree);
* **scikit-learn per-task models** fitted on the train split: logistic / ridge regression, and
  histogram gradient boosting;
* **the oracle**: the generator's true probability, and its true median stay for MAE, mean
  stay for RMSE.

The Evaluator's own figures for the pushed model are recorded beside them as a cross-check
(TFMA interpolates PR-AUC, so that one differs in the third decimal).

Examples:
  make run && uv run python -m benchmarks.baselines     # the bundled 10k rows
  uv run python -m benchmarks.baselines --output-root /tmp/b/outputs-100000 \\
      --truth-root /tmp/b/truth-100000
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.bare import score, train_and_evaluate  # noqa: E402
from benchmarks.results import record  # noqa: E402
from pipeline.defaults import BUNDLED_TRUTH_ROOT, DEFAULT_CONFIG, DEFAULT_OUTPUT_ROOT  # noqa: E402

METRICS = (
    ("disease_risk", "auc"),
    ("disease_risk", "pr_auc"),
    ("disease_risk", "brier_score"),
    ("length_of_stay_days", "mae"),
    ("length_of_stay_days", "rmse"),
)


def design_matrix(frame: pd.DataFrame, config, reference: pd.DataFrame) -> pd.DataFrame:
    """Numbers (mean-imputed, with missing flags) and one-hot categories, for scikit-learn."""
    columns = {}
    for feature in config.features:
        values = frame[feature.name]
        if feature.kind == "categorical":
            for level in sorted(reference[feature.name].astype(str).unique()):
                columns[f"{feature.name}={level}"] = (values.astype(str) == level).astype(float)
        else:
            numbers = values.astype(float)
            columns[feature.name] = numbers.fillna(reference[feature.name].astype(float).mean())
            columns[f"{feature.name}_missing"] = numbers.isna().astype(float)
    return pd.DataFrame(columns, index=frame.index)


def served_predictions(model_dir: Path, serialized: list[bytes]) -> dict[str, np.ndarray]:
    """The pushed SavedModel's ``serving_default`` outputs (label units), in batches."""
    import tensorflow as tf

    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    outputs: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(serialized), 4096):
        batch = serve(examples=tf.constant(serialized[start : start + 4096]))
        for name, value in batch.items():
            outputs.setdefault(name, []).append(value.numpy().reshape(-1))
    return {name: np.concatenate(parts) for name, parts in outputs.items()}


def compare(output_root: str | os.PathLike, truth_root: str | os.PathLike, config) -> dict:
    """Every model's metrics on the eval split of the latest run under ``output_root``.

    Raises:
        LookupError: without a run that pushed a model under ``output_root``, or when eval rows
            have no truth under ``truth_root``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from benchmarks.quality_vs_oracle import evaluator_metrics, oracle_metrics, read_split, truth_of
    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import latest_run
    from serving.batch_predict import latest_model

    paths = LocalPaths(Path(output_root).resolve())
    run = latest_run(paths.metadata_path, config.pipeline_name)
    examples_uri = run and run.output_uri("example_gen", "examples")
    if not examples_uri:
        raise LookupError(f"no pipeline run under {paths.output_root}; run `make run` first")
    model_dir = latest_model(paths.serving_model_dir, None)
    train, _ = read_split(examples_uri, "train")
    validation, _ = read_split(examples_uri, "validation")
    evaluation, serialized = read_split(examples_uri, "eval")

    truth = truth_of(evaluation, truth_root)

    tasks = {task.name: task for task in config.tasks}
    actual = {name: evaluation[task.label_column].to_numpy(float) for name, task in tasks.items()}

    def scored(predictions: dict[str, np.ndarray]) -> dict:
        return {name: score(tasks[name], actual[name], predictions[name]) for name in tasks}

    models = {"pipeline (pushed model)": scored(served_predictions(model_dir, serialized))}
    models["bare (same model, no TFX)"] = train_and_evaluate(train, validation, evaluation, config)

    x_train = design_matrix(train, config, train)
    x_eval = design_matrix(evaluation, config, train)
    learners = {
        "logistic / ridge (per task)": (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            make_pipeline(StandardScaler(), Ridge()),
        ),
        "gradient boosting (per task)": (
            HistGradientBoostingClassifier(random_state=0),
            HistGradientBoostingRegressor(random_state=0),
        ),
    }
    for name, (classifier, regressor) in learners.items():
        # Stay is fitted on log1p(days), as the pipeline trains it, and scored in days.
        classifier.fit(x_train, train["disease_risk"].astype(int))
        regressor.fit(x_train, np.log1p(train["length_of_stay_days"].astype(float)))
        models[name] = scored(
            {
                "disease_risk": classifier.predict_proba(x_eval)[:, 1],
                "length_of_stay_days": np.expm1(regressor.predict(x_eval)),
            }
        )

    models["oracle (the generator's truth)"] = oracle_metrics(evaluation, truth)
    return {
        "output_root": str(paths.output_root),
        "model": str(model_dir),
        "rows": {"train": len(train), "validation": len(validation), "eval": len(evaluation)},
        "models": models,
        "evaluator": evaluator_metrics(run),
    }


def table(results: dict) -> str:
    rows = results["rows"]
    lines = [
        f"Eval split of one pipeline run: {rows['eval']:,} rows; trained on its "
        f"{rows['train']:,} train rows ({rows['validation']:,} validation rows for early "
        "stopping).",
        "",
        "| model | " + " | ".join(f"{t} {m}" for t, m in METRICS) + " |",
        "|---|" + "---|" * len(METRICS),
    ]
    for name, by_task in results["models"].items():
        cells = [f"{by_task[t].get(m, float('nan')):.4f}" for t, m in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    evaluator = results["evaluator"]
    cells = [f"{evaluator.get(t, {}).get(m, float('nan')):.4f}" for t, m in METRICS]
    lines.append(
        "| *cross-check: the Evaluator (TFMA) on the pushed model* | " + " | ".join(cells) + " |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baselines",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Examples:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output-root", default=str(DEFAULT_OUTPUT_ROOT), help="a run's root")
    parser.add_argument(
        "--truth-root", default=str(BUNDLED_TRUTH_ROOT), help="the generator's truth files"
    )
    parser.add_argument("--output", default="benchmarks/results/baselines")
    args = parser.parse_args(argv)
    try:
        results = compare(args.output_root, args.truth_root, DEFAULT_CONFIG)
    except (LookupError, FileNotFoundError) as error:
        parser.error(str(error))
    record(args.output, results, table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

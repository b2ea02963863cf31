"""Quality against the oracle and the obvious alternatives, on one evaluation set.

For each task: this project's multi-task model (trained as in ``bare.py``), scikit-learn
per-task models (logistic / ridge regression, and histogram gradient boosting), and the
oracle (the generator's true probability; the true median stay for MAE, mean for RMSE).
Writes JSON and a Markdown table.

Examples:
  uv run python -m benchmarks.baselines --quick          # 10k training rows
  uv run python -m benchmarks.baselines                  # 100k training rows
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.bare import train_and_evaluate  # noqa: E402
from benchmarks.results import record  # noqa: E402
from patient_data.generator import LENGTH_OF_STAY_LOG_SIGMA, generate_span  # noqa: E402


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


def score(task: str, actual: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn import metrics

    if task == "disease_risk":
        predicted = np.clip(predicted, 1e-7, 1 - 1e-7)
        return {
            "auc": metrics.roc_auc_score(actual, predicted),
            "pr_auc": metrics.average_precision_score(actual, predicted),
            "brier_score": metrics.brier_score_loss(actual, predicted),
        }
    return {
        "mae": metrics.mean_absolute_error(actual, predicted),
        "rmse": float(np.sqrt(metrics.mean_squared_error(actual, predicted))),
    }


def main(argv: list[str] | None = None) -> int:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from pipeline.defaults import DEFAULT_CONFIG as config

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, help="training rows (default 100k, 10k with --quick)")
    parser.add_argument("--output", help="results path without extension")
    args = parser.parse_args(argv)
    rows = args.rows or (10_000 if args.quick else 100_000)
    output = args.output or ("benchmarks/results/baselines" + ("_quick" if args.quick else ""))

    data = generate_span(rows + rows // 7, seed=11, span=1)
    test = generate_span(20_000, seed=999, span=99)
    train, validation = data.records.iloc[:rows], data.records.iloc[rows:]
    evaluation, truth = test.records, test.truth

    results = {"rows": rows, "models": {}}
    results["models"]["multi-task model"] = train_and_evaluate(
        train, validation, evaluation, config
    )

    x_train = design_matrix(train, config, train)
    x_test = design_matrix(evaluation, config, train)
    risk, stay = train["disease_risk"], np.log1p(train["length_of_stay_days"])
    actual_risk = evaluation["disease_risk"].to_numpy()
    actual_stay = evaluation["length_of_stay_days"].to_numpy()
    learners = {
        "logistic / ridge": (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            make_pipeline(StandardScaler(), Ridge()),
        ),
        "gradient boosting": (
            HistGradientBoostingClassifier(random_state=0),
            HistGradientBoostingRegressor(random_state=0),
        ),
    }
    for name, (classifier, regressor) in learners.items():
        results["models"][name] = {
            "disease_risk": score(
                "disease_risk",
                actual_risk,
                classifier.fit(x_train, risk).predict_proba(x_test)[:, 1],
            ),
            "length_of_stay_days": score(
                "length_of_stay_days",
                actual_stay,
                np.expm1(regressor.fit(x_train, stay).predict(x_test)),
            ),
        }
    mean_stay = truth["true_expected_length_of_stay_days"].to_numpy()
    median_stay = mean_stay * np.exp(-(LENGTH_OF_STAY_LOG_SIGMA**2) / 2)
    oracle = {
        "disease_risk": score(
            "disease_risk", actual_risk, truth["true_disease_probability"].to_numpy()
        ),
        "length_of_stay_days": {
            "mae": score("length_of_stay_days", actual_stay, median_stay)["mae"],
            "rmse": score("length_of_stay_days", actual_stay, mean_stay)["rmse"],
        },
    }
    results["models"]["oracle"] = oracle

    metrics = [
        ("disease_risk", "auc"),
        ("disease_risk", "pr_auc"),
        ("disease_risk", "brier_score"),
        ("length_of_stay_days", "mae"),
        ("length_of_stay_days", "rmse"),
    ]
    lines = [
        "| model | " + " | ".join(f"{t} {m}" for t, m in metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for name, by_task in results["models"].items():
        cells = [f"{by_task[t].get(m, float('nan')):.4f}" for t, m in metrics]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(f"{rows} training rows, 20,000 evaluation rows")
    record(output, results, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

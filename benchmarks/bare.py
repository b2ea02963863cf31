"""The bare reference: the same preprocessing, model and evaluation as the pipeline, in one
process with pandas and tf_keras, no TFX. Used as the speed floor and by the multi-task study.

Examples:
  uv run python benchmarks/bare.py --rows 10000
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from components.feature_names import missing_indicator_name, transformed_name  # noqa: E402
from pipeline.config import PipelineConfig  # noqa: E402


def fit_preprocessing(train: pd.DataFrame, config: PipelineConfig) -> dict:
    """Means, deviations and vocabularies of the training rows (what Transform analyzes)."""
    stats = {}
    for feature in config.features:
        column = train[feature.name]
        if feature.kind == "numeric":
            values = column.astype(float)
            stats[feature.name] = (values.mean(), values.std(ddof=0) or 1.0)
        elif feature.kind == "categorical":
            counts = column.astype(str).value_counts()
            stats[feature.name] = {v: i for i, v in enumerate(counts.index)}
    return stats


def apply_preprocessing(frame: pd.DataFrame, config: PipelineConfig, stats: dict) -> dict:
    """Model inputs named as Transform names them."""
    inputs = {}
    for feature in config.features:
        column = frame[feature.name]
        if feature.kind == "categorical":
            vocabulary = stats[feature.name]
            ids = column.astype(str).map(vocabulary).fillna(len(vocabulary))
            inputs[transformed_name(feature.name)] = ids.to_numpy("int64").reshape(-1, 1)
            continue
        values = column.astype(float)
        missing = values.isna().to_numpy("float32").reshape(-1, 1)
        if feature.kind == "numeric":
            mean, std = stats[feature.name]
            scaled = ((values.fillna(mean) - mean) / std).to_numpy("float32")
        else:
            scaled = values.fillna(0.0).to_numpy("float32")
        inputs[transformed_name(feature.name)] = scaled.reshape(-1, 1)
        inputs[missing_indicator_name(feature.name)] = missing
    return inputs


def labels_of(frame: pd.DataFrame, config: PipelineConfig) -> dict:
    labels = {}
    for task in config.tasks:
        values = frame[task.label_column].to_numpy("float32")
        labels[task.name] = np.log1p(values) if task.label_transform == "log1p" else values
    return labels


def score(task, actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """A task's benchmark metrics from predictions in the label's unit: AUC, PR-AUC (average
    precision) and Brier score for a binary task, MAE and RMSE for a regression. Every model
    in the benchmarks is scored with this one function."""
    from sklearn import metrics

    actual = np.asarray(actual, dtype=float).reshape(-1)
    predicted = np.asarray(predicted, dtype=float).reshape(-1)
    if task.type == "binary_classification":
        predicted = np.clip(predicted, 1e-7, 1 - 1e-7)
        return {
            "auc": float(metrics.roc_auc_score(actual, predicted)),
            "pr_auc": float(metrics.average_precision_score(actual, predicted)),
            "brier_score": float(metrics.brier_score_loss(actual, predicted)),
        }
    return {
        "mae": float(metrics.mean_absolute_error(actual, predicted)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(actual, predicted))),
    }


def evaluate(model, inputs: dict, frame: pd.DataFrame, config: PipelineConfig) -> dict:
    predictions = model.predict(inputs, batch_size=4096, verbose=0)
    results = {}
    for task in config.tasks:
        predicted = np.asarray(predictions[task.name]).reshape(-1)
        if task.label_transform == "log1p":
            predicted = np.maximum(np.expm1(predicted), 0)
        results[task.name] = score(task, frame[task.label_column].to_numpy(float), predicted)
    return results


def train_and_evaluate(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    config: PipelineConfig,
    details: dict | None = None,
) -> dict:
    """Fits the pipeline's model on ``train`` (early stopping on ``validation``); scores
    ``test``. ``details``, when given, receives the epochs trained and the learned loss
    weights (uncertainty weighting)."""
    import tf_keras as keras

    from components.model import build_model, learned_loss_weights

    stats = fit_preprocessing(train, config)
    vocabulary_sizes = {
        f.name: len(stats[f.name]) for f in config.features if f.kind == "categorical"
    }
    model = build_model(config, vocabulary_sizes)
    history = model.fit(
        apply_preprocessing(train, config, stats),
        labels_of(train, config),
        validation_data=(
            apply_preprocessing(validation, config, stats),
            labels_of(validation, config),
        ),
        epochs=config.training.epochs,
        batch_size=config.training.batch_size,
        callbacks=[
            keras.callbacks.EarlyStopping(
                patience=config.training.early_stopping_patience, restore_best_weights=True
            )
        ],
        verbose=0,
    )
    if details is not None:
        details["epochs"] = len(history.history["loss"])
        details["learned_loss_weights"] = learned_loss_weights(model)
    return evaluate(model, apply_preprocessing(test, config, stats), test, config)


def split_rows(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, ...]:
    """A 70 / 10 / 20 random split into train, validation and test, as the pipeline splits."""
    cut = np.random.default_rng(seed).random(len(frame))
    return frame[cut < 0.7], frame[(cut >= 0.7) & (cut < 0.8)], frame[cut >= 0.8]


def main(argv: list[str] | None = None) -> int:
    from patient_data.generator import generate_span
    from pipeline.defaults import DEFAULT_CONFIG

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = generate_span(args.rows, args.seed).records
    results = train_and_evaluate(*split_rows(frame), DEFAULT_CONFIG)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": args.rows, "seconds": round(seconds, 1), "metrics": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

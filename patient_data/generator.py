"""Deterministic generator of synthetic patient records for two related clinical tasks.

Every record is drawn from two hidden health factors that both tasks share:

* ``cardiometabolic`` drives BMI, blood pressure, cholesterol and HbA1c;
* ``frailty`` drives heart rate, smoking, prior admissions and admission type.

``disease_risk`` (binary) and ``length_of_stay_days`` (positive, right-skewed) both depend on
those factors, plus signal of their own (sex and HbA1c for the risk, admission type for the
stay) and noise. A model that learns the shared factors once can therefore serve both tasks.

The generator also returns the truth it sampled the labels from (the true probability and the
true expected stay) so that benchmarks can compute the best achievable metrics.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

ADMISSION_TYPES = ("elective", "emergency", "urgent", "transfer")
SEXES = ("F", "M")

# Share of values left empty per column, as in real records: labs are not always drawn.
MISSING_RATES = {
    "bmi": 0.03,
    "cholesterol_mg_dl": 0.05,
    "hba1c_percent": 0.04,
    "heart_rate_bpm": 0.02,
}

# Log-space noise of the stay; the true expected stay is exp(mu + sigma^2 / 2).
LENGTH_OF_STAY_LOG_SIGMA = 0.45

RECORD_COLUMNS = (
    "patient_id",
    "age",
    "sex",
    "bmi",
    "systolic_bp_mmhg",
    "diastolic_bp_mmhg",
    "cholesterol_mg_dl",
    "hba1c_percent",
    "smoker",
    "heart_rate_bpm",
    "prior_admissions",
    "admission_type",
    "disease_risk",
    "length_of_stay_days",
)
TRUTH_COLUMNS = ("patient_id", "true_disease_probability", "true_expected_length_of_stay_days")


@dataclasses.dataclass(frozen=True)
class GeneratedSpan:
    """One span of generated data.

    Attributes:
        records: what a hospital would export: features, labels and ``patient_id``.
        truth: ``patient_id``, ``true_disease_probability`` and
            ``true_expected_length_of_stay_days`` for each record.
    """

    records: pd.DataFrame
    truth: pd.DataFrame


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_span(num_rows: int, seed: int, span: int = 1) -> GeneratedSpan:
    """Draws ``num_rows`` synthetic patient records.

    Args:
        num_rows: how many patients to draw (at least 1).
        seed: the random seed; the same seed and span always give the same records.
        span: the span number, used in ``patient_id`` so that ids are unique across spans.

    Returns:
        A ``GeneratedSpan`` with the records and the truth behind their labels.

    Raises:
        ValueError: if ``num_rows`` is smaller than 1.
    """
    if num_rows < 1:
        raise ValueError(f"num_rows must be at least 1, got {num_rows}")
    rng = np.random.default_rng([seed, span])
    n = num_rows

    cardiometabolic = rng.normal(size=n)
    frailty = rng.normal(size=n)

    age = np.clip(rng.normal(58 + 6 * frailty, 14), 18, 95).round()
    sex = rng.choice(SEXES, size=n)
    is_male = (sex == "M").astype(float)
    bmi = np.clip(27 + 3.2 * cardiometabolic + rng.normal(0, 3.5, n), 15, 60).round(1)
    systolic = np.clip(
        118 + 0.35 * (age - 58) + 9 * cardiometabolic + 4 * is_male + rng.normal(0, 11, n),
        80,
        220,
    ).round()
    diastolic = np.clip(0.5 * systolic + 16 + rng.normal(0, 7, n), 40, 130).round()
    cholesterol = np.clip(195 + 22 * cardiometabolic + rng.normal(0, 28, n), 100, 400).round()
    hba1c = np.clip(
        5.6 + 0.55 * cardiometabolic + 0.008 * (age - 58) + rng.gamma(1.2, 0.25, n) - 0.3,
        4.0,
        14.0,
    ).round(1)
    smoker = (rng.random(n) < _sigmoid(-1.3 + 0.7 * frailty)).astype(int)
    heart_rate = np.clip(74 + 6 * frailty + rng.normal(0, 9, n), 40, 180).round()
    prior_admissions = rng.poisson(np.exp(-0.6 + 0.65 * frailty + 0.01 * (age - 58)))

    admission_logits = np.stack(
        [
            np.full(n, 0.6),  # elective
            0.2 + 0.8 * frailty,  # emergency
            -0.2 + 0.3 * frailty,  # urgent
            -1.8 + 0.6 * frailty,  # transfer
        ],
        axis=1,
    )
    admission_probs = np.exp(admission_logits)
    admission_probs /= admission_probs.sum(axis=1, keepdims=True)
    admission_index = (rng.random((n, 1)) < admission_probs.cumsum(axis=1)).argmax(axis=1)
    admission_type = np.asarray(ADMISSION_TYPES)[admission_index]

    # Disease risk: shared factors through their observed proxies, plus sex and HbA1c of its own.
    risk_logit = (
        -1.75
        + 0.75 * cardiometabolic
        + 0.45 * frailty
        + 0.035 * (age - 58)
        + 0.55 * smoker
        + 0.45 * (hba1c - 5.6)
        + 0.35 * is_male
    )
    true_probability = _sigmoid(risk_logit)
    disease_risk = (rng.random(n) < true_probability).astype(int)

    # Length of stay: shared factors plus admission type of its own, log-normal noise.
    admission_effect = np.select(
        [admission_type == "emergency", admission_type == "urgent", admission_type == "transfer"],
        [0.35, 0.2, 0.55],
        0.0,
    )
    stay_log_mean = (
        1.05
        + 0.3 * frailty
        + 0.2 * cardiometabolic
        + 0.012 * (age - 58)
        + 0.08 * np.minimum(prior_admissions, 6)
        + admission_effect
    )
    true_expected_stay = np.exp(stay_log_mean + LENGTH_OF_STAY_LOG_SIGMA**2 / 2)
    length_of_stay = np.maximum(
        np.exp(stay_log_mean + rng.normal(0, LENGTH_OF_STAY_LOG_SIGMA, n)), 0.25
    ).round(2)

    patient_id = np.asarray([f"S{span:03d}-{i:07d}" for i in range(n)])
    records = pd.DataFrame(
        {
            "patient_id": patient_id,
            "age": age.astype(int),
            "sex": sex,
            "bmi": bmi,
            "systolic_bp_mmhg": systolic.astype(int),
            "diastolic_bp_mmhg": diastolic.astype(int),
            "cholesterol_mg_dl": cholesterol,
            "hba1c_percent": hba1c,
            "smoker": smoker,
            "heart_rate_bpm": heart_rate,
            "prior_admissions": prior_admissions.astype(int),
            "admission_type": admission_type,
            "disease_risk": disease_risk,
            "length_of_stay_days": length_of_stay,
        },
        columns=list(RECORD_COLUMNS),
    )
    for column, rate in MISSING_RATES.items():
        records.loc[rng.random(n) < rate, column] = np.nan

    truth = pd.DataFrame(
        {
            "patient_id": patient_id,
            "true_disease_probability": true_probability,
            "true_expected_length_of_stay_days": true_expected_stay,
        },
        columns=list(TRUTH_COLUMNS),
    )
    return GeneratedSpan(records=records, truth=truth)


def span_directory(data_root: Path | str, span: int) -> Path:
    """The folder of one span, ``<data_root>/span-<span>``, as ExampleGen's pattern reads it."""
    return Path(data_root) / f"span-{span}"


def write_span(
    data_root: Path | str,
    span: int,
    num_rows: int,
    seed: int,
    truth_root: Path | str | None = None,
) -> GeneratedSpan:
    """Generates one span and writes it as ``<data_root>/span-<span>/patients.csv``.

    The truth goes to ``<truth_root>/span-<span>.csv`` when ``truth_root`` is given; it is kept
    out of the span folder because ExampleGen reads every file there.

    Returns:
        The generated span.
    """
    generated = generate_span(num_rows=num_rows, seed=seed, span=span)
    folder = span_directory(data_root, span)
    folder.mkdir(parents=True, exist_ok=True)
    # Integers with missing values would otherwise be written as floats ("3.0").
    generated.records.to_csv(folder / "patients.csv", index=False, float_format="%.10g")
    if truth_root is not None:
        Path(truth_root).mkdir(parents=True, exist_ok=True)
        generated.truth.to_csv(Path(truth_root) / f"span-{span}.csv", index=False)
    return generated

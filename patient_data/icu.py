"""A second synthetic dataset: an ICU cohort with three outcomes and other kinds of columns.

It exists to show that the pipeline runs a different dataset from a config file and a schema
alone (``configs/icu/``): other column names, integer-coded categories, skewed and clipped labs,
a bucketized score, two binary outcomes and one regression.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WARD_CODES = (1, 2, 3, 4, 5)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_icu_cohort(num_rows: int, seed: int, span: int = 1) -> pd.DataFrame:
    """Draws ``num_rows`` ICU stays; the same seed and span always give the same rows.

    Raises:
        ValueError: if ``num_rows`` is smaller than 1.
    """
    if num_rows < 1:
        raise ValueError(f"num_rows must be at least 1, got {num_rows}")
    rng = np.random.default_rng([seed, span, 7])
    n = num_rows
    severity = rng.normal(size=n)
    infection = rng.normal(size=n)

    age = np.clip(rng.normal(63 + 4 * severity, 15), 18, 95).round().astype(int)
    gender = rng.choice(["female", "male"], size=n)
    ward = rng.choice(WARD_CODES, size=n, p=[0.35, 0.25, 0.2, 0.15, 0.05])
    lactate = np.exp(0.4 + 0.35 * severity + 0.25 * infection + rng.normal(0, 0.35, n)).round(2)
    wbc = np.clip(9 + 3.5 * infection + rng.normal(0, 3, n), 0.5, 80).round(1)
    temperature = (37.0 + 0.6 * infection + rng.normal(0, 0.5, n)).round(1)
    map_mmhg = np.clip(80 - 7 * severity + rng.normal(0, 9, n), 35, 140).round().astype(int)
    ventilated = (rng.random(n) < _sigmoid(-1.2 + 1.1 * severity)).astype(int)
    charlson = np.clip(rng.poisson(np.exp(0.6 + 0.015 * (age - 63) + 0.2 * severity)), 0, 15)

    sepsis_p = _sigmoid(-1.6 + 1.3 * infection + 0.5 * severity + 0.3 * (ward == 3))
    mortality_p = _sigmoid(-2.9 + 1.6 * severity + 0.7 * infection + 0.03 * (age - 63))
    icu_days = np.exp(
        0.9 + 0.35 * severity + 0.25 * infection + 0.3 * ventilated + rng.normal(0, 0.5, n)
    ).round(2)

    frame = pd.DataFrame(
        {
            "stay_id": [f"ICU{span:02d}-{i:06d}" for i in range(n)],
            "age_years": age,
            "gender": gender,
            "ward_code": ward,
            "lactate_mmol_l": lactate,
            "wbc_10e9_l": wbc,
            "temperature_c": temperature,
            "mean_arterial_pressure": map_mmhg,
            "on_ventilator": ventilated,
            "charlson_index": charlson.astype(int),
            "sepsis": (rng.random(n) < sepsis_p).astype(int),
            "icu_mortality": (rng.random(n) < mortality_p).astype(int),
            "icu_days": icu_days,
        }
    )
    frame.loc[rng.random(n) < 0.10, "lactate_mmol_l"] = np.nan
    frame.loc[rng.random(n) < 0.05, "wbc_10e9_l"] = np.nan
    return frame


def write_icu_span(data_root: Path | str, span: int, num_rows: int, seed: int) -> pd.DataFrame:
    """Writes ``<data_root>/span-<span>/cohort.csv`` and returns the rows."""
    frame = generate_icu_cohort(num_rows, seed, span)
    folder = Path(data_root) / f"span-{span}"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "cohort.csv", index=False, float_format="%.10g")
    return frame

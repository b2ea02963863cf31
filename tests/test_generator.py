"""The bundled data generator: deterministic, plausible, related tasks, truth exposed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from patient_data.generator import (
    ADMISSION_TYPES,
    MISSING_RATES,
    RECORD_COLUMNS,
    generate_span,
    write_span,
)
from pipeline.defaults import BUNDLED_DATA_ROOT, BUNDLED_TRUTH_ROOT, DEFAULT_CONFIG


@pytest.fixture(scope="module")
def span():
    return generate_span(20_000, seed=11)


def test_same_seed_same_records_other_seed_other_records():
    a = generate_span(500, seed=3)
    b = generate_span(500, seed=3)
    c = generate_span(500, seed=4)
    pd.testing.assert_frame_equal(a.records, b.records)
    assert not a.records.equals(c.records)


def test_columns_cover_every_configured_feature_and_label(span):
    assert list(span.records.columns) == list(RECORD_COLUMNS)
    configured = {f.name for f in DEFAULT_CONFIG.features} | set(DEFAULT_CONFIG.label_columns)
    assert configured <= set(span.records.columns)
    assert len(DEFAULT_CONFIG.features) >= 10


def test_labels_have_the_promised_shape(span):
    prevalence = span.records.disease_risk.mean()
    assert 0.15 <= prevalence <= 0.30
    stay = span.records.length_of_stay_days
    assert (stay > 0).all()
    assert stay.mean() > stay.median() * 1.1  # right-skewed
    assert set(span.records.admission_type) == set(ADMISSION_TYPES)


def test_a_few_percent_missing_in_some_columns_and_none_in_labels(span):
    missing = span.records.isna().mean()
    for column, rate in MISSING_RATES.items():
        assert abs(missing[column] - rate) < 0.01
    assert missing[list(DEFAULT_CONFIG.label_columns)].sum() == 0


def test_truth_explains_labels_and_tasks_are_related(span):
    truth = span.truth
    assert (truth.patient_id == span.records.patient_id).all()
    # The true probability is calibrated against the sampled labels ...
    assert abs(truth.true_disease_probability.mean() - span.records.disease_risk.mean()) < 0.01
    # ... and the true expected stay is the mean of the sampled stays.
    ratio = span.records.length_of_stay_days.mean() / truth.true_expected_length_of_stay_days.mean()
    assert 0.97 < ratio < 1.03
    # Shared latent factors: the two truths move together.
    corr = np.corrcoef(truth.true_disease_probability, truth.true_expected_length_of_stay_days)
    assert corr[0, 1] > 0.3


def test_write_span_uses_the_span_folder_layout(tmp_path):
    write_span(tmp_path / "patients", span=2, num_rows=50, seed=1, truth_root=tmp_path / "truth")
    written = pd.read_csv(tmp_path / "patients" / "span-2" / "patients.csv")
    assert len(written) == 50
    assert written.patient_id.str.startswith("S002-").all()
    assert (tmp_path / "truth" / "span-2.csv").exists()
    # Integers stay integers in the CSV even where other columns have missing values.
    assert written.age.dtype.kind == "i"


def test_bundled_data_is_what_the_generator_writes():
    from patient_data.__main__ import DEFAULT_SEED

    bundled = pd.read_csv(BUNDLED_DATA_ROOT / "span-1" / "patients.csv")
    regenerated = generate_span(len(bundled), seed=DEFAULT_SEED, span=1).records
    pd.testing.assert_frame_equal(
        bundled, regenerated, check_dtype=False, check_exact=False, rtol=1e-9
    )
    truth = pd.read_csv(BUNDLED_TRUTH_ROOT / "span-1.csv")
    assert len(truth) == len(bundled)


def test_bundled_icu_cohort_is_what_its_generator_writes():
    from patient_data.icu import generate_icu_cohort

    bundled = pd.read_csv(BUNDLED_DATA_ROOT.parent / "icu" / "span-1" / "cohort.csv")
    regenerated = generate_icu_cohort(len(bundled), seed=2026, span=1)
    pd.testing.assert_frame_equal(
        bundled, regenerated, check_dtype=False, check_exact=False, rtol=1e-9
    )
    assert len(bundled) == 600

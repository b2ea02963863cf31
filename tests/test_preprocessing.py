"""preprocessing_fn run through TFT's Beam implementation on hand-written rows."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tft = pytest.importorskip("tensorflow_transform")
tft_beam = pytest.importorskip("tensorflow_transform.beam")
import tensorflow_data_validation as tfdv  # noqa: E402
from tensorflow_transform.tf_metadata import schema_utils  # noqa: E402

from components.feature_names import (  # noqa: E402
    missing_indicator_name,
    transformed_label_name,
    transformed_name,
)
from components.preprocessing import preprocessing_fn  # noqa: E402
from pipeline.config import CUSTOM_CONFIG_KEY  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG, SCHEMA_DIR  # noqa: E402

ROWS = [
    # age 30 F; bmi missing
    dict(
        age=30,
        sex="F",
        bmi=None,
        systolic_bp_mmhg=110,
        diastolic_bp_mmhg=70,
        cholesterol_mg_dl=180,
        hba1c_percent=5.0,
        smoker=0,
        heart_rate_bpm=70,
        prior_admissions=0,
        admission_type="elective",
        disease_risk=0,
        length_of_stay_days=1.0,
    ),
    dict(
        age=50,
        sex="M",
        bmi=30.0,
        systolic_bp_mmhg=130,
        diastolic_bp_mmhg=80,
        cholesterol_mg_dl=None,
        hba1c_percent=6.0,
        smoker=1,
        heart_rate_bpm=80,
        prior_admissions=1,
        admission_type="emergency",
        disease_risk=1,
        length_of_stay_days=3.0,
    ),
    dict(
        age=70,
        sex="M",
        bmi=20.0,
        systolic_bp_mmhg=150,
        diastolic_bp_mmhg=90,
        cholesterol_mg_dl=220,
        hba1c_percent=7.0,
        smoker=0,
        heart_rate_bpm=None,
        prior_admissions=2,
        admission_type="emergency",
        disease_risk=0,
        length_of_stay_days=7.0,
    ),
    dict(
        age=85,
        sex="F",
        bmi=25.0,
        systolic_bp_mmhg=170,
        diastolic_bp_mmhg=100,
        cholesterol_mg_dl=260,
        hba1c_percent=None,
        smoker=1,
        heart_rate_bpm=90,
        prior_admissions=3,
        admission_type="urgent",
        disease_risk=1,
        length_of_stay_days=15.0,
    ),
]


def _as_tft_instances(rows):
    """Rows in TFT's instance-dict format: a missing value is an empty list (varlen feature)."""
    instances = []
    for row in rows:
        instance = {"patient_id": [b"P"]}
        for key, value in row.items():
            if key in DEFAULT_CONFIG.label_columns:
                instance[key] = [value]
            elif value is None:
                instance[key] = []
            else:
                instance[key] = [value.encode() if isinstance(value, str) else value]
        instances.append(instance)
    return instances


@pytest.fixture(scope="module")
def transformed():
    schema = tfdv.load_schema_text(str(SCHEMA_DIR / "schema.pbtxt"))
    metadata = schema_utils.schema_from_feature_spec(
        schema_utils.schema_as_feature_spec(schema).feature_spec
    )
    from tensorflow_transform.tf_metadata import dataset_metadata

    raw_metadata = dataset_metadata.DatasetMetadata(metadata)
    custom_config = {CUSTOM_CONFIG_KEY: DEFAULT_CONFIG.to_json()}
    with tft_beam.Context(temp_dir=tempfile.mkdtemp()):
        (data, _), transform_fn = (
            _as_tft_instances(ROWS),
            raw_metadata,
        ) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, custom_config)
        )
    return data


def _column(rows, name):
    return np.array([np.asarray(r[name]).reshape(-1)[0] for r in rows])


def test_numeric_features_are_z_scored_on_observed_values_and_missing_is_flagged(transformed):
    ages = _column(transformed, transformed_name("age"))
    raw = np.array([30, 50, 70, 85], dtype=float)
    np.testing.assert_allclose(ages, (raw - raw.mean()) / raw.std(), rtol=1e-5)

    bmi = _column(transformed, transformed_name("bmi"))
    observed = np.array([30.0, 20.0, 25.0])
    expected = (observed - observed.mean()) / observed.std()
    np.testing.assert_allclose(bmi[1:], expected, rtol=1e-5)
    assert bmi[0] == pytest.approx(0.0)  # imputed with the mean: 0 after scaling
    np.testing.assert_array_equal(_column(transformed, missing_indicator_name("bmi")), [1, 0, 0, 0])
    np.testing.assert_array_equal(
        _column(transformed, missing_indicator_name("heart_rate_bpm")), [0, 0, 1, 0]
    )


def test_binary_feature_passes_through_with_indicator(transformed):
    np.testing.assert_array_equal(_column(transformed, transformed_name("smoker")), [0, 1, 0, 1])
    np.testing.assert_array_equal(_column(transformed, missing_indicator_name("smoker")), [0] * 4)


def test_categories_get_vocabulary_indices(transformed):
    admission = _column(transformed, transformed_name("admission_type"))
    # Most frequent first: emergency (2) gets 0; the same value always maps to the same index.
    assert admission[1] == admission[2] == 0
    assert len(set(admission)) == 3
    sex = _column(transformed, transformed_name("sex"))
    assert sex[0] == sex[3] and sex[1] == sex[2] and sex[0] != sex[1]


def test_age_band_slice_feature(transformed):
    bands = [b.decode() for b in _column(transformed, "age_band")]
    assert bands == ["<40", "40-64", "65-79", "80+"]


def test_labels_are_floats_and_stay_is_log1p(transformed):
    np.testing.assert_array_equal(
        _column(transformed, transformed_label_name(DEFAULT_CONFIG.task("disease_risk"))),
        [0, 1, 0, 1],
    )
    np.testing.assert_allclose(
        _column(transformed, transformed_label_name(DEFAULT_CONFIG.task("length_of_stay_days"))),
        np.log1p([1.0, 3.0, 7.0, 15.0]),
        rtol=1e-6,
    )

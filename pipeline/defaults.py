"""The bundled clinical dataset's configuration: features, two tasks, slices and training."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Feature, Gate, PipelineConfig, Slice, SliceGate, Task, Training

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA_ROOT = PROJECT_ROOT / "data" / "patients"
BUNDLED_TRUTH_ROOT = PROJECT_ROOT / "data" / "ground_truth"
SCHEMA_DIR = PROJECT_ROOT / "schema"
DEFAULT_OUTPUT_ROOT = PROJECT_ROOT / "outputs"

DISEASE_RISK = Task(
    name="disease_risk",
    type="binary_classification",
    label_column="disease_risk",
    loss_weight=1.0,
    metrics=(
        "auc",
        "pr_auc",
        "brier_score",
        "log_loss",
        "mean_label",
        "mean_prediction",
        "calibration",
        "example_count",
    ),
    gates=(
        # The generator's own probabilities reach about 0.80 AUC: 0.70 leaves room for noise.
        Gate(metric="auc", lower_bound=0.70, max_regression=0.02),
        Gate(metric="brier_score", upper_bound=0.20),
    ),
    slice_gates=(
        # Every age band must be served well, and the sexes about equally well.
        SliceGate(metric="auc", slice="age_band", lower_bound=0.68),
        SliceGate(metric="auc", slice="sex", max_gap=0.08),
    ),
)

LENGTH_OF_STAY = Task(
    name="length_of_stay_days",
    type="regression",
    label_column="length_of_stay_days",
    loss_weight=1.0,
    metrics=("mae", "rmse", "mean_label", "mean_prediction", "example_count"),
    gates=(
        # Predicting the median for everyone gives about 2.5 days; the oracle about 1.65.
        Gate(metric="mae", upper_bound=2.2, max_regression=0.1, max_relative_regression=0.05),
    ),
    slice_gates=(SliceGate(metric="mae", slice="admission_type", upper_bound=4.0),),
    label_transform="log1p",
)

DEFAULT_CONFIG = PipelineConfig(
    pipeline_name="clinical-multitask",
    features=(
        Feature("age", "numeric"),
        Feature("sex", "categorical"),
        Feature("bmi", "numeric"),
        Feature("systolic_bp_mmhg", "numeric"),
        Feature("diastolic_bp_mmhg", "numeric"),
        Feature("cholesterol_mg_dl", "numeric"),
        Feature("hba1c_percent", "numeric"),
        Feature("smoker", "binary"),
        Feature("heart_rate_bpm", "numeric"),
        Feature("prior_admissions", "numeric"),
        Feature("admission_type", "categorical"),
    ),
    tasks=(DISEASE_RISK, LENGTH_OF_STAY),
    slices=(
        Slice(name="sex", column="sex"),
        Slice(name="age_band", column="age", boundaries=(40.0, 65.0, 80.0)),
        Slice(name="admission_type", column="admission_type"),
    ),
    id_column="patient_id",
    min_slice_examples=30,
    training=Training(),
)

"""Shared test set-up: Keras 2, quiet TensorFlow, and the small-data configuration."""

from __future__ import annotations

import dataclasses
import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", category=FutureWarning, module="google.api_core")

import pytest  # noqa: E402

from pipeline.config import Gate, PipelineConfig, SliceGate  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG  # noqa: E402


def small_data_config(**training_changes) -> PipelineConfig:
    """The default configuration, tuned for a few hundred rows: few epochs, reachable gates."""
    training = dataclasses.replace(
        DEFAULT_CONFIG.training, epochs=8, batch_size=32, **training_changes
    )
    disease, stay = DEFAULT_CONFIG.tasks
    disease = dataclasses.replace(
        disease,
        gates=(
            Gate("auc", lower_bound=0.60, max_regression=0.05),
            Gate("brier_score", upper_bound=0.25),
        ),
        slice_gates=(
            SliceGate("auc", "age_band", lower_bound=0.5),
            SliceGate("auc", "sex", max_gap=0.3),
        ),
    )
    stay = dataclasses.replace(
        stay,
        gates=(Gate("mae", upper_bound=3.5, max_regression=0.5),),
        slice_gates=(SliceGate("mae", "admission_type", upper_bound=6.0),),
    )
    return DEFAULT_CONFIG.replace(tasks=(disease, stay), training=training)


@pytest.fixture(scope="session")
def small_config() -> PipelineConfig:
    return small_data_config()

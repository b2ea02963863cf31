"""The configuration refuses bad values with a message that names the field."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.config import ConfigError, Feature, Gate, PipelineConfig, Slice, SliceGate, Task
from pipeline.defaults import DEFAULT_CONFIG


def _with_task(**changes) -> PipelineConfig:
    task = dataclasses.replace(DEFAULT_CONFIG.tasks[0], **changes)
    return DEFAULT_CONFIG.replace(tasks=(task,) + DEFAULT_CONFIG.tasks[1:])


def test_default_config_is_valid_and_round_trips_through_json():
    data = DEFAULT_CONFIG.to_dict()
    assert PipelineConfig.from_dict(data) == DEFAULT_CONFIG
    assert [t.name for t in DEFAULT_CONFIG.tasks] == ["disease_risk", "length_of_stay_days"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"metrics": ("auc", "f1")}, r"tasks\[0\] \(disease_risk\)\.metrics: unknown metric 'f1'"),
        ({"metrics": ("auc", "mae")}, r"metric 'mae' does not apply to a binary_classification"),
        ({"type": "ranking"}, r"tasks\[0\] \(disease_risk\)\.type: unknown task type 'ranking'"),
        ({"label_column": "age"}, r"label_column: 'age' is also listed as a feature"),
        ({"loss_weight": 0.0}, r"loss_weight: must be a positive number"),
        ({"gates": ()}, r"gates: every task needs at least one gate"),
        ({"gates": (Gate("rmse", upper_bound=1.0),)}, r"gates\[0\]\.metric: 'rmse' is not one"),
        ({"gates": (Gate("auc"),)}, r"gates\[0\]: needs a lower_bound"),
        ({"gates": (Gate("auc", max_regression=-0.1),)}, r"max_regression: must be >= 0"),
        ({"label_transform": "log1p"}, r"only regression labels can be transformed"),
    ],
)
def test_bad_task_is_refused_naming_the_field(changes, expected):
    with pytest.raises(ConfigError, match=expected):
        _with_task(**changes)


def test_duplicate_names_are_refused():
    with pytest.raises(ConfigError, match=r"features: duplicate name 'age'"):
        DEFAULT_CONFIG.replace(features=DEFAULT_CONFIG.features + (Feature("age"),))
    with pytest.raises(ConfigError, match=r"tasks: duplicate name 'disease_risk'"):
        DEFAULT_CONFIG.replace(tasks=DEFAULT_CONFIG.tasks + (DEFAULT_CONFIG.tasks[0],))


def test_unknown_slice_column_and_feature_kind_are_refused():
    with pytest.raises(ConfigError, match=r"slices\[3\] \(ward\)\.column: unknown column 'ward'"):
        DEFAULT_CONFIG.replace(slices=DEFAULT_CONFIG.slices + (Slice("ward", "ward"),))
    with pytest.raises(ConfigError, match=r"features\[0\] \(age\)\.kind: unknown kind 'text'"):
        DEFAULT_CONFIG.replace(features=(Feature("age", "text"),))


@pytest.mark.parametrize(
    ("slice_gate", "expected"),
    [
        (
            SliceGate("auc", "ward", lower_bound=0.7),
            r"slice_gates\[0\]\.slice: unknown slice 'ward'",
        ),
        (SliceGate("f1", "sex", lower_bound=0.7), r"slice_gates\[0\]\.metric: 'f1' is not one"),
        (
            SliceGate("auc", "sex"),
            r"slice_gates\[0\]: needs a lower_bound, an upper_bound or a max_gap",
        ),
        (SliceGate("auc", "sex", max_gap=-1.0), r"slice_gates\[0\]\.max_gap: must be >= 0"),
    ],
)
def test_bad_slice_gate_is_refused_naming_task_and_field(slice_gate, expected):
    with pytest.raises(ConfigError, match=r"tasks\[0\] \(disease_risk\)\." + expected):
        _with_task(slice_gates=(slice_gate,))


def test_gate_named_for_an_unknown_metric_is_refused_when_loaded_from_data():
    data = DEFAULT_CONFIG.to_dict()
    data["tasks"][1]["gates"][0]["metric"] = "r2"
    with pytest.raises(
        ConfigError, match=r"tasks\[1\] \(length_of_stay_days\)\.gates\[0\]\.metric: 'r2'"
    ):
        PipelineConfig.from_dict(data)


def test_pipeline_name_must_suit_kubeflow():
    with pytest.raises(ConfigError, match=r"pipeline_name: 'clinical_multitask' must match"):
        DEFAULT_CONFIG.replace(pipeline_name="clinical_multitask")


def test_training_values_out_of_range_name_the_field():
    training = dataclasses.replace(DEFAULT_CONFIG.training, epochs=0)
    with pytest.raises(ConfigError, match=r"training\.epochs: must be at least 1, got 0"):
        DEFAULT_CONFIG.replace(training=training)
    training = dataclasses.replace(DEFAULT_CONFIG.training, dropout=1.5)
    with pytest.raises(ConfigError, match=r"training\.dropout"):
        DEFAULT_CONFIG.replace(training=training)
    training = dataclasses.replace(DEFAULT_CONFIG.training, loss_weighting="learned")
    with pytest.raises(
        ConfigError, match=r"training\.loss_weighting: must be one of static, uncertainty"
    ):
        DEFAULT_CONFIG.replace(training=training)


@pytest.mark.parametrize("switch", ["warm_start", "cache_in_memory"])
def test_training_switches_must_be_booleans(switch):
    # YAML's "no" is a boolean, but a quoted "false" is a string, and truthy.
    data = DEFAULT_CONFIG.to_dict()
    data["training"][switch] = "false"
    with pytest.raises(
        ConfigError, match=rf"training\.{switch}: must be true or false, got 'false'"
    ):
        PipelineConfig.from_dict(data)


def test_from_dict_refuses_unknown_fields():
    data = DEFAULT_CONFIG.to_dict()
    data["tasks"][0]["treshold"] = 0.5
    with pytest.raises(ConfigError, match=r"config\.tasks\[0\]: unknown field\(s\) \['treshold'\]"):
        PipelineConfig.from_dict(data)


def test_age_band_labels_read_naturally():
    assert Slice("age_band", "age", (40.0, 65.0, 80.0)).band_labels() == (
        "<40",
        "40-64",
        "65-79",
        "80+",
    )


def test_task_lookup_names_the_missing_task():
    assert DEFAULT_CONFIG.task("disease_risk").type == "binary_classification"
    with pytest.raises(KeyError, match="no task named 'mortality'"):
        DEFAULT_CONFIG.task("mortality")


def test_a_third_task_is_one_declaration():
    readmission = Task(
        name="readmission",
        type="binary_classification",
        label_column="readmitted",
        metrics=("auc",),
        gates=(Gate("auc", lower_bound=0.6),),
    )
    config = DEFAULT_CONFIG.replace(tasks=DEFAULT_CONFIG.tasks + (readmission,))
    assert config.label_columns[-1] == "readmitted"

"""The DAG: components, ids, order and wiring; and the TFMA config generated from the tasks."""

from __future__ import annotations

import dataclasses
import json

import pytest

tfx = pytest.importorskip("tfx.v1")
tfma = pytest.importorskip("tensorflow_model_analysis")

from components.baseline_resolver import PreviousBlessedModelStrategy  # noqa: E402
from pipeline.config import config_from_custom_config  # noqa: E402
from pipeline.evaluation import build_eval_config  # noqa: E402
from pipeline.pipeline import COMPONENT_IDS, create_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def dag(small_config, tmp_path_factory):
    root = tmp_path_factory.mktemp("dag")
    return create_pipeline(
        config=small_config,
        data_root=str(root / "data"),
        schema_path=str(root / "schema.pbtxt"),
        pipeline_root=str(root / "pipeline_root"),
        serving_model_dir=str(root / "serving"),
    )


def test_components_and_readable_ids(dag):
    ids = [component.id for component in dag.components]
    assert sorted(ids) == sorted(COMPONENT_IDS)
    types = {c.id: type(c).__name__ for c in dag.components}
    assert types["example_gen"] == "CsvExampleGen"
    assert types["schema_importer"] == "ImportSchemaGen"
    assert types["example_validator"] == "ExampleValidator"
    assert types["anomalies_gate"] == "AnomaliesGate"
    assert types["baseline_model_resolver"] == "Resolver"
    assert types["pusher"] == "AtomicPusher"


def test_anomalies_gate_sits_between_validation_and_transform(dag):
    by_id = {c.id: c for c in dag.components}
    assert by_id["example_validator"] in by_id["anomalies_gate"].upstream_nodes
    assert by_id["anomalies_gate"] in by_id["transform"].upstream_nodes
    # Trainer (and so Evaluator and Pusher) come after Transform.
    assert by_id["transform"] in by_id["trainer"].upstream_nodes
    assert by_id["trainer"] in by_id["pusher"].upstream_nodes
    assert by_id["evaluator"] in by_id["gate_verdict"].upstream_nodes
    assert by_id["gate_verdict"] in by_id["pusher"].upstream_nodes


def test_functions_are_passed_as_import_paths_with_the_config(dag, small_config):
    by_id = {c.id: c for c in dag.components}
    transform = by_id["transform"].exec_properties
    assert transform["preprocessing_fn"] == "components.preprocessing.preprocessing_fn"
    trainer = by_id["trainer"].exec_properties
    assert trainer["run_fn"] == "components.model.run_fn"
    for component in ("transform", "trainer"):
        custom_config = json.loads(by_id[component].exec_properties["custom_config"])
        # Without this machine's paths, so that cache keys do not depend on the checkout.
        expected = dataclasses.replace(small_config, data_root="", schema_path="")
        assert config_from_custom_config(custom_config) == expected


def _metric_name(metric_config) -> str:
    """The reported name: a Keras metric's configured name, or a TFMA metric's class."""
    if metric_config.config:
        return json.loads(metric_config.config)["name"]
    return metric_config.class_name


def test_eval_config_has_one_metrics_spec_per_task_and_no_thresholds(small_config):
    config = build_eval_config(small_config)
    assert config.model_specs[0].label_keys == {
        "disease_risk": "disease_risk",
        "length_of_stay_days": "length_of_stay_days",
    }
    assert list(config.model_specs[0].preprocessing_function_names) == ["transform_features"]
    assert not config.options.include_default_metrics.value
    by_task = {spec.output_names[0]: spec for spec in config.metrics_specs}
    assert set(by_task) == {"disease_risk", "length_of_stay_days"}

    disease = {_metric_name(m): m for m in by_task["disease_risk"].metrics}
    assert {
        "auc",
        "pr_auc",
        "brier_score",
        "log_loss",
        "MeanLabel",
        "MeanPrediction",
        "Calibration",
        "ExampleCount",
    } == set(disease)
    stay = {_metric_name(m) for m in by_task["length_of_stay_days"].metrics}
    assert {"mae", "rmse", "ExampleCount"} <= stay
    # The gate verdict judges; TFMA thresholds would write a second, competing blessing.
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            assert not metric.HasField("threshold") and not metric.per_slice_thresholds


def test_pusher_and_resolver_follow_the_gate_verdict(dag):
    by_id = {c.id: c for c in dag.components}
    blessing = by_id["pusher"].inputs["model_blessing"]
    assert blessing.producer_component_id == "gate_verdict"
    verdict_inputs = by_id["gate_verdict"].inputs
    assert verdict_inputs["evaluation"].producer_component_id == "evaluator"
    assert verdict_inputs["baseline_model"].producer_component_id == "baseline_model_resolver"
    assert verdict_inputs["candidate_blessing"].producer_component_id == "baseline_model_resolver"
    evaluator = by_id["evaluator"].inputs
    assert evaluator["baseline_model"].producer_component_id == "baseline_model_resolver"
    # The baseline resolver sees the candidate, so that it can leave it out.
    resolver = by_id["baseline_model_resolver"]
    assert resolver.raw_inputs["candidate"].producer_component_id == "trainer"
    assert resolver.exec_properties["resolver_class"] is PreviousBlessedModelStrategy


def test_slices_are_overall_sex_age_band_and_admission_type(small_config):
    specs = build_eval_config(small_config).slicing_specs
    assert [list(s.feature_keys) for s in specs] == [[], ["sex"], ["age_band"], ["admission_type"]]


def test_warm_start_feeds_the_last_blessed_model_to_the_trainer(small_config, tmp_path):
    training = dataclasses.replace(small_config.training, warm_start=True)
    config = small_config.replace(training=training)
    dag = create_pipeline(
        config=config,
        data_root=str(tmp_path),
        schema_path=str(tmp_path / "schema.pbtxt"),
        pipeline_root=str(tmp_path / "root"),
        serving_model_dir=str(tmp_path / "serving"),
    )
    by_id = {c.id: c for c in dag.components}
    trainer = by_id["trainer"]
    assert trainer.inputs["base_model"].producer_component_id == "latest_blessed_model_resolver"
    # The baseline still leaves the candidate out; warm start reads the plain latest blessed.
    assert set(by_id) == set(COMPONENT_IDS) | {"latest_blessed_model_resolver"}


def test_cold_start_is_the_default(dag):
    trainer = {c.id: c for c in dag.components}["trainer"]
    assert "base_model" not in trainer.inputs or trainer.inputs["base_model"] is None

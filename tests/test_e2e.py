"""End to end: the real TFX components under LocalDagRunner on a few hundred generated rows.

One session fixture runs the pipeline five times into one output root and every test reads
what it recorded:

1. span 1, healthy: trained, blessed and pushed;
2. the same again: served from the cache up to the Trainer;
3-5. a bad span 2 (a wrong type, a missing label column, out-of-range values): rejected
     before Transform, nothing pushed, the served model untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from patient_data.generator import span_directory, write_span
from pipeline.defaults import SCHEMA_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

UPSTREAM_OF_EVALUATOR = (
    "example_gen",
    "statistics_gen",
    "schema_importer",
    "example_validator",
    "anomalies_gate",
    "transform",
    "trainer",
)
ROWS = 600


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _bad_span(healthy: pd.DataFrame, kind: str) -> pd.DataFrame:
    bad = healthy.copy()
    if kind == "wrong_type":
        bad["age"] = bad["age"].astype(str)
        bad.loc[bad.index[::10], "age"] = "unknown"
    elif kind == "missing_label":
        bad = bad.drop(columns=["disease_risk"])
    elif kind == "out_of_range":
        bad.loc[bad.index[::25], "systolic_bp_mmhg"] = 900
    return bad


@dataclasses.dataclass
class Run:
    outcome: object
    record: object
    versions: list
    serving_digest: str


@dataclasses.dataclass
class Story:
    output_root: Path
    data_root: Path
    first: Run
    second: Run
    bad: dict


def _run(config, data_root, output_root) -> Run:
    from pipeline.local_run import LocalPaths, run_local_pipeline
    from pipeline.run_summary import latest_run, pushed_versions

    outcome = run_local_pipeline(config, data_root, output_root, SCHEMA_DIR / "schema.pbtxt")
    paths = LocalPaths(output_root)
    serving = paths.serving_model_dir
    return Run(
        outcome=outcome,
        record=latest_run(paths.metadata_path, config.pipeline_name),
        versions=pushed_versions(serving),
        serving_digest=_tree_digest(serving) if serving.exists() else "",
    )


@pytest.fixture(scope="session")
def story(tmp_path_factory, small_config) -> Story:
    root = tmp_path_factory.mktemp("e2e")
    data_root, output_root = root / "patients", root / "outputs"
    healthy = write_span(data_root, span=1, num_rows=ROWS, seed=7).records

    first = _run(small_config, data_root, output_root)
    second = _run(small_config, data_root, output_root)
    bad = {}
    for kind in ("wrong_type", "missing_label", "out_of_range"):
        folder = span_directory(data_root, 2)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _bad_span(healthy, kind).to_csv(folder / "patients.csv", index=False)
        bad[kind] = _run(small_config, data_root, output_root)
    return Story(output_root, data_root, first, second, bad)


def test_first_run_executes_every_component_and_pushes(story):
    assert story.first.outcome.status == "pushed", story.first.outcome.message
    assert story.first.outcome.exit_code == 0
    states = {node: run.state for node, run in story.first.record.components.items()}
    for node in UPSTREAM_OF_EVALUATOR + ("evaluator", "pusher"):
        assert states[node] == "complete", (node, states)
    assert len(story.first.versions) == 1


def test_blessing_and_push_are_recorded_in_ml_metadata(story):
    components = story.first.record.components
    blessing = components["evaluator"].output_properties["blessing"][0]
    assert blessing["blessed"] == 1
    pushed = components["pusher"].output_properties["pushed_model"][0]
    assert pushed["pushed"] == 1
    assert pushed["pushed_destination"].endswith(story.first.versions[0])


def test_each_task_is_evaluated_overall_and_per_slice(story, small_config):
    import tensorflow_model_analysis as tfma

    from pipeline.run_summary import read_evaluation, slice_name

    uri = story.first.record.output_uri("evaluator", "evaluation")
    validation_ok, results = read_evaluation(uri, small_config)
    assert validation_ok
    by_task = {r.task: r for r in results}
    assert 0.6 <= by_task["disease_risk"].metrics["auc"] <= 1.0
    assert 0 < by_task["disease_risk"].metrics["brier_score"] < 0.25
    assert 0 < by_task["length_of_stay_days"].metrics["mae"] < 3.5
    assert by_task["length_of_stay_days"].metrics["rmse"] >= by_task["length_of_stay_days"].metrics["mae"]

    slices = {slice_name(m.slice_key) for m in tfma.load_metrics(uri)}
    assert {"Overall", "sex=F", "sex=M", "admission_type=emergency"} <= slices
    assert any(s.startswith("age_band=") for s in slices)


def test_pushed_model_loaded_fresh_serves_both_heads_from_raw_examples(story, small_config):
    import numpy as np
    import tensorflow as tf

    version = story.first.versions[-1]
    model = tf.saved_model.load(str(story.output_root / "serving_model" / version))
    serve = model.signatures["serving_default"]

    import tensorflow_data_validation as tfdv

    from components.examples import records_to_serialized_examples

    records = pd.read_csv(span_directory(story.data_root, 1) / "patients.csv")
    rows = pd.concat([records[records.isna().any(axis=1)].head(10), records.dropna().head(10)])
    assert rows.isna().any(axis=None), "the sample should include missing values"
    schema = tfdv.load_schema_text(str(SCHEMA_DIR / "schema.pbtxt"))
    # Labels left out: a request carries features only.
    features = rows.drop(columns=list(small_config.label_columns))
    serialized = records_to_serialized_examples(features.to_dict("records"), schema)

    outputs = serve(examples=tf.constant(serialized))
    assert set(outputs) == {"disease_risk", "length_of_stay_days"}
    risk = outputs["disease_risk"].numpy()
    stay = outputs["length_of_stay_days"].numpy()
    assert risk.shape == stay.shape == (20, 1)
    assert ((risk > 0) & (risk < 1)).all()
    # The stay comes back in days (expm1 of the log-space head), not in log days.
    assert (stay > 0.2).all() and 1.0 < float(np.median(stay)) < 15.0

    transform = model.signatures["transform_features"]
    transformed = transform(examples=tf.constant(serialized[:3]))
    assert "age_band" in transformed


def test_second_run_is_served_from_the_cache(story):
    assert story.second.outcome.status == "pushed", story.second.outcome.message
    states = {node: run.state for node, run in story.second.record.components.items()}
    for node in UPSTREAM_OF_EVALUATOR:
        assert states[node] == "cached", (node, states)
    first_model = story.first.record.output_uri("trainer", "model")
    assert story.second.record.output_uri("trainer", "model") == first_model


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("wrong_type", "column 'age'"),
        ("missing_label", "column 'disease_risk'"),
        ("out_of_range", "column 'systolic_bp_mmhg'"),
    ],
)
def test_bad_span_is_rejected_before_training_and_nothing_is_lost(story, kind, named):
    run = story.bad[kind]
    assert run.outcome.status == "data_rejected", run.outcome.message
    assert run.outcome.exit_code == 3
    assert named in run.outcome.message
    states = {node: r.state for node, r in run.record.components.items()}
    assert states["anomalies_gate"] == "failed"
    for node in ("transform", "trainer", "evaluator", "pusher"):
        assert node not in states, (node, states)
    # The served model is exactly what it was before the bad span arrived.
    assert run.versions == story.second.versions
    assert run.serving_digest == story.second.serving_digest
    assert run.versions, "a model must still be served"

"""End to end: the real TFX components under LocalDagRunner on a few hundred generated rows.

One session fixture runs the pipeline six times into one output root and every test reads
what it recorded:

1. span 1, healthy: trained, every gate passes (non-regression: "no baseline"), pushed;
2. the same again: served from the cache up to the Evaluator (the baseline leaves the
   candidate out); the verdict sees the candidate already serving: nothing new is pushed;
3. a per-slice ceiling that exactly one admission-type slice breaks: not blessed, not pushed;
4-6. a bad span 2 (a wrong type, a missing label column, out-of-range values): rejected
     before Transform, nothing pushed, the served model untouched.

A second fixture runs once into a fresh output root with a disease-risk AUC floor no model
reaches: that task fails, the other passes, nothing is pushed.
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
ROWS = 1000


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
    output_root: Path
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
    slice_ceiling: Run
    failing_slice: str
    bad: dict


def _run(config, data_root, output_root) -> Run:
    from pipeline.local_run import LocalPaths, run_local_pipeline
    from pipeline.run_summary import latest_run, pushed_versions

    outcome = run_local_pipeline(config, data_root, output_root, SCHEMA_DIR / "schema.pbtxt")
    paths = LocalPaths(output_root)
    serving = paths.serving_model_dir
    return Run(
        output_root=Path(output_root),
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

    # A ceiling between the worst and the second-worst judged admission-type slice.
    slice_config, failing_slice = _ceiling_breaking_one_slice(small_config, second)
    slice_ceiling = _run(slice_config, data_root, output_root)

    bad = {}
    for kind in ("wrong_type", "missing_label", "out_of_range"):
        folder = span_directory(data_root, 2)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _bad_span(healthy, kind).to_csv(folder / "patients.csv", index=False)
        bad[kind] = _run(small_config, data_root, output_root)
    return Story(output_root, data_root, first, second, slice_ceiling, failing_slice, bad)


def _ceiling_breaking_one_slice(config, run):
    from components.gate_verdict.metrics import read_metric_table
    from pipeline.config import SliceGate

    table = read_metric_table(run.record.output_uri("evaluator", "evaluation"))
    judged = {
        slice_: value
        for (model, slice_, task, metric), value in table.items()
        if model == "candidate"
        and task == "length_of_stay_days"
        and metric == "mae"
        and slice_.startswith("admission_type=")
        and table[(model, slice_, task, "example_count")] >= config.min_slice_examples
    }
    assert len(judged) >= 2, judged
    worst, second_worst = sorted(judged.values(), reverse=True)[:2]
    failing_slice = max(judged, key=judged.get)
    stay = dataclasses.replace(
        config.task("length_of_stay_days"),
        slice_gates=(SliceGate("mae", "admission_type", upper_bound=(worst + second_worst) / 2),),
    )
    tasks = tuple(stay if t.name == stay.name else t for t in config.tasks)
    return config.replace(tasks=tasks), failing_slice


@pytest.fixture(scope="session")
def unreachable_floor(tmp_path_factory, small_config) -> Run:
    """A fresh output root and a disease-risk AUC floor of 0.99: no model gets there."""
    root = tmp_path_factory.mktemp("unreachable")
    write_span(root / "patients", span=1, num_rows=ROWS, seed=7)
    disease = small_config.task("disease_risk")
    gates = tuple(
        dataclasses.replace(g, lower_bound=0.99) if g.metric == "auc" else g for g in disease.gates
    )
    disease = dataclasses.replace(disease, gates=gates)
    config = small_config.replace(
        tasks=tuple(disease if t.name == disease.name else t for t in small_config.tasks)
    )
    return _run(config, root / "patients", root / "outputs")


def _verdict(run: Run) -> dict:
    from pipeline.run_summary import read_verdict

    verdict = read_verdict(run.record)
    assert verdict is not None, "the run wrote no verdict"
    return verdict


def _gates(verdict: dict, task: str) -> list[dict]:
    return next(t for t in verdict["tasks"] if t["task"] == task)["gates"]


def test_first_run_executes_every_component_and_pushes(story):
    assert story.first.outcome.status == "pushed", story.first.outcome.message
    assert story.first.outcome.exit_code == 0
    states = {node: run.state for node, run in story.first.record.components.items()}
    for node in UPSTREAM_OF_EVALUATOR + ("evaluator", "pusher"):
        assert states[node] == "complete", (node, states)
    assert len(story.first.versions) == 1


def test_blessing_and_push_are_recorded_in_ml_metadata(story):
    components = story.first.record.components
    blessing = components["gate_verdict"].output_properties["blessing"][0]
    assert blessing["blessed"] == 1
    pushed = components["pusher"].output_properties["pushed_model"][0]
    assert pushed["pushed"] == 1
    assert pushed["pushed_destination"].endswith(story.first.versions[0])


def test_each_task_is_evaluated_overall_and_per_slice(story):
    from components.gate_verdict.metrics import read_metric_table

    table = read_metric_table(story.first.record.output_uri("evaluator", "evaluation"))
    overall = {(t, m): v for (model, s, t, m), v in table.items() if s == "Overall"}
    assert 0.6 <= overall[("disease_risk", "auc")] <= 1.0
    assert 0 < overall[("disease_risk", "brier_score")] < 0.25
    assert 0 < overall[("length_of_stay_days", "mae")] < 3.5
    assert overall[("length_of_stay_days", "rmse")] >= overall[("length_of_stay_days", "mae")]

    slices = {s for (_, s, _, _) in table}
    assert {"Overall", "sex=F", "sex=M", "admission_type=emergency"} <= slices
    assert any(s.startswith("age_band=") for s in slices)


def test_first_verdict_passes_every_gate_and_regression_says_no_baseline(story, small_config):
    verdict = _verdict(story.first)
    assert verdict["blessed"] is True and verdict["failures"] == []
    assert verdict["baseline_model"] is None
    for task in small_config.tasks:
        gates = _gates(verdict, task.name)
        kinds = {g["gate"] for g in gates}
        assert "non_regression" in kinds
        for gate in gates:
            if gate["gate"] == "non_regression":
                assert gate["status"] == "no_baseline", gate
            elif gate["slice"] == "Overall":
                assert gate["status"] == "pass", gate
            else:
                assert gate["status"] in ("pass", "not_enough_data"), gate
    # The verdict's results are queryable in ML Metadata.
    properties = story.first.record.components["gate_verdict"].output_properties["verdict"][0]
    assert properties["blessed"] == 1 and properties["failed_gates"] == 0
    assert properties["disease_risk_passed"] == 1
    assert properties["length_of_stay_days_passed"] == 1
    markdown_uri = story.first.record.output_uri("gate_verdict", "verdict")
    assert (Path(markdown_uri) / "verdict.md").read_text().startswith("# Gate verdict: BLESSED")


def test_a_slice_under_the_minimum_size_is_reported_as_not_enough_data(story, small_config):
    rows = [
        g
        for g in _gates(_verdict(story.first), "length_of_stay_days")
        if g["slice"] == "admission_type=transfer"
    ]
    assert rows, "the transfer slice (about 4% of patients) should be in the verdict"
    [row] = rows
    assert row["status"] == "not_enough_data"
    assert f"fewer than the minimum {small_config.min_slice_examples}" in row["reason"]


def test_an_unchanged_rerun_judges_the_candidate_as_the_first_run_did(story):
    # The baseline Resolver leaves the candidate out, so the rerun's only blessed model (the
    # candidate itself) is no baseline: the verdict is the first run's, not a comparison of
    # the model with itself. A new model against the served one is in test_retraining.py.
    first, second = _verdict(story.first), _verdict(story.second)
    assert second["blessed"] is True and second["already_serving"] is True
    assert first["baseline_model"] is None and second["baseline_model"] is None
    regression = [g for t in second["tasks"] for g in t["gates"] if g["gate"] == "non_regression"]
    assert len(regression) == 2
    assert all(gate["status"] == "no_baseline" for gate in regression), regression
    assert [t["gates"] for t in second["tasks"]] == [t["gates"] for t in first["tasks"]]


def test_a_per_slice_ceiling_broken_in_one_slice_blocks_the_push_and_names_it(story):
    run = story.slice_ceiling
    assert run.outcome.status == "not_blessed", run.outcome.message
    assert run.outcome.exit_code == 4
    verdict = _verdict(run)
    assert verdict["blessed"] is False
    [failure] = verdict["failures"]
    assert failure["task"] == "length_of_stay_days"
    assert failure["gate"] == "slice_upper_bound"
    assert failure["slice"] == story.failing_slice
    assert "above the ceiling" in failure["reason"]
    assert next(t for t in verdict["tasks"] if t["task"] == "disease_risk")["passed"] is True
    assert run.record.components["pusher"].output_properties["pushed_model"][0]["pushed"] == 0
    assert run.versions == story.second.versions
    assert run.serving_digest == story.second.serving_digest


def test_a_task_below_its_floor_is_not_pushed_and_the_other_task_is_shown_passing(
    unreachable_floor,
):
    run = unreachable_floor
    assert run.outcome.status == "not_blessed", run.outcome.message
    verdict = _verdict(run)
    [failure] = verdict["failures"]
    assert (failure["task"], failure["gate"], failure["metric"]) == (
        "disease_risk",
        "lower_bound",
        "auc",
    )
    assert "below the floor 0.99" in failure["reason"]
    stay = next(t for t in verdict["tasks"] if t["task"] == "length_of_stay_days")
    assert stay["passed"] is True
    assert run.versions == []
    blessing = run.record.components["gate_verdict"].output_properties["blessing"][0]
    assert blessing["blessed"] == 0


def test_summary_prints_failing_gates_first(unreachable_floor, small_config):
    from pipeline.summary import format_summary

    text = format_summary(small_config, unreachable_floor.outcome, unreachable_floor.output_root)
    lines = text.splitlines()
    assert "NOT BLESSED" in text
    failed = next(i for i, line in enumerate(lines) if line.startswith("FAILED  disease_risk"))
    first_task_line = next(i for i, line in enumerate(lines) if line.startswith("passed  "))
    assert failed < first_task_line
    assert "length_of_stay_days" in lines[first_task_line]


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


def test_second_run_is_served_from_the_cache_and_pushes_nothing_new(story):
    assert story.second.outcome.status == "unchanged", story.second.outcome.message
    assert story.second.outcome.exit_code == 0
    states = {node: run.state for node, run in story.second.record.components.items()}
    for node in UPSTREAM_OF_EVALUATOR:
        if node == "anomalies_gate":
            continue  # runs again: it now also checks drift against the served model's span
        assert states[node] == "cached", (node, states)
    assert states["anomalies_gate"] == "complete"
    # The baseline leaves the candidate out, so the Evaluator does not score the served model
    # against itself: its inputs are those of the first run and its cache is used.
    assert states["evaluator"] == "cached", states
    first_model = story.first.record.output_uri("trainer", "model")
    assert story.second.record.output_uri("trainer", "model") == first_model
    # The served model is the candidate: nothing is pushed a second time.
    assert story.second.versions == story.first.versions
    assert story.second.serving_digest == story.first.serving_digest
    verdict = _verdict(story.second)
    assert verdict["blessed"] is True and verdict["already_serving"] is True


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


# -- report, model card, serving signatures, batch scoring (on the story's pushed model) --------
def _served_dir(story) -> Path:
    return story.output_root / "serving_model" / story.first.versions[-1]


def test_report_has_each_task_the_verdict_and_suppresses_small_slices(story, small_config):
    report = Path(story.first.record.output_uri("report", "report")) / "report.html"
    html = report.read_text()
    assert "BLESSED: every gate of every task passed" in html
    for task in small_config.tasks:
        assert f"<h2>{task.name}" in html
    # About 4% of 200 eval patients were transfers: under 20, so suppressed.
    assert "<td>admission_type=transfer</td>" in html
    assert "suppressed: fewer than 20 patients" in html
    assert html.count("data:image/png;base64,") >= 3
    assert "S001-" not in html  # no patient id, no record


def test_a_blocked_run_also_gets_a_report_and_the_summary_names_it(unreachable_floor, small_config):
    from pipeline.summary import format_summary

    text = format_summary(small_config, unreachable_floor.outcome, unreachable_floor.output_root)
    [line] = [line for line in text.splitlines() if line.startswith("Report: ")]
    html = Path(line.removeprefix("Report: ")).read_text()
    assert "NOT BLESSED: 1 gate(s) failed" in html
    assert html.index("below the floor 0.99") < html.index("<h2>disease_risk")


def test_model_card_ships_inside_the_pushed_version(story):
    card = (_served_dir(story) / "assets.extra" / "model_card.md").read_text()
    assert card.startswith("# Model card: clinical-multitask")
    assert "disease_risk" in card and "length_of_stay_days" in card
    assert "**The training data is synthetic**" in card
    assert "## Gates passed" in card and "disease_risk / lower_bound / Overall: pass" in card
    assert "| admission_type=transfer | suppressed (fewer than 20) |" in card


def test_warmup_requests_replay_on_the_model(story):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    path = _served_dir(story) / "assets.extra" / "tf_serving_warmup_requests"
    model = tf.saved_model.load(str(_served_dir(story)))
    signatures = []
    for record in tf.data.TFRecordDataset(str(path)):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        outputs = model.signatures[request.model_spec.signature_name](
            **{k: tf.constant(v) for k, v in inputs.items()}
        )
        assert set(outputs) == {"disease_risk", "length_of_stay_days"}
        signatures.append(request.model_spec.signature_name)
    assert signatures == ["serving_default", "serving_raw"]


def test_readme_request_bodies_work_against_the_saved_model(story):
    import base64
    import json

    import numpy as np
    import tensorflow as tf

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Reports, model cards and serving", 1)[1].split("\n## ", 1)[0]
    bodies = [json.loads(block.split("```", 1)[0]) for block in section.split("```json\n")[1:]]
    assert [b["signature_name"] for b in bodies] == ["serving_default", "serving_raw"]
    model = tf.saved_model.load(str(_served_dir(story)))

    default_body, raw_body = bodies
    examples = [base64.b64decode(i["examples"]["b64"]) for i in default_body["instances"]]
    from_example = model.signatures["serving_default"](examples=tf.constant(examples))

    signature = model.signatures["serving_raw"]
    specs = signature.structured_input_signature[1]
    columns = {
        name: tf.constant([i[name] for i in raw_body["instances"]], dtype=spec.dtype)
        for name, spec in specs.items()
    }
    from_raw = signature(**columns)
    assert set(from_raw) == {"disease_risk", "length_of_stay_days"}
    # The first raw instance is the same patient as the tf.Example: the same predictions.
    for task in from_raw:
        np.testing.assert_allclose(
            from_raw[task].numpy()[0], from_example[task].numpy()[0], rtol=1e-5
        )
    # The second has a missing cholesterol (NaN) and is still scored.
    assert np.isfinite(from_raw["length_of_stay_days"].numpy()).all()


def test_batch_scoring_reports_bad_rows_by_line_and_never_misscores(story, tmp_path, capsys):
    from serving import batch_predict

    source = pd.read_csv(span_directory(story.data_root, 1) / "patients.csv").head(30)
    source = source.drop(columns=["disease_risk", "length_of_stay_days"]).astype(object)
    source.loc[4, "age"] = "abc"  # line 6 of the file
    source.loc[9, "systolic_bp_mmhg"] = 900  # line 11
    path = tmp_path / "patients.csv"
    source.to_csv(path, index=False)
    config_file = tmp_path / "config.yaml"
    _write_config(config_file, story)
    common = [
        "--input",
        str(path),
        "--config",
        str(config_file),
        "--serving-dir",
        str(story.output_root / "serving_model"),
    ]

    output = tmp_path / "scores.csv"
    assert batch_predict.main(common + ["--output", str(output)]) == 0
    err = capsys.readouterr().err
    assert "line 6: column 'age': 'abc' is not a number" in err
    assert "line 11: column 'systolic_bp_mmhg': 900 is outside [60, 260]" in err
    scores = pd.read_csv(output)
    assert list(scores.columns) == ["patient_id", "disease_risk", "length_of_stay_days"]
    assert len(scores) == 28
    assert source.loc[4, "patient_id"] not in set(scores.patient_id)
    assert scores.disease_risk.between(0, 1).all() and (scores.length_of_stay_days > 0).all()

    rejected = tmp_path / "rejected.csv"
    code = batch_predict.main(common + ["--output", str(rejected), "--on-bad-row", "reject"])
    assert code == 3 and not rejected.exists()


def _write_config(path: Path, story) -> None:
    """The small-data config as a file, pointing at the story's data and the curated schema."""
    import yaml

    from tests.conftest import small_data_config

    data = small_data_config().to_dict()
    data["splits"] = dict(data["splits"])
    data["data_root"] = str(story.data_root)
    data["schema_path"] = str(SCHEMA_DIR / "schema.pbtxt")
    path.write_text(yaml.safe_dump(data))

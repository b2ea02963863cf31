"""Scheduled retraining, end to end on small spans, through the retrain command.

The story, one step per new span, each asserting the exit code, the pushed versions and what
ML Metadata recorded:

1. span 1 -> pushed v1;
2. span 2, healthy -> pushed v2, checked against v1;
3. span 3, corrupted -> rejected before training, v2 still served;
4. span 4, drifted -> rejected, v2 still served;
5. span 5, disease labels shuffled -> not blessed (that task only), v2 still served;
6. rerun with no new span -> nothing retrained or pushed;
7. a rolling window of two spans: span 5 validated alone, trained on spans 5 and 2.

Plus the faults of scheduled runs: a run killed while the Trainer runs completes when started
again from the cached upstream results, and a second run on a busy output root exits 5.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from patient_data.generator import span_directory, write_span
from pipeline.defaults import PROJECT_ROOT, SCHEMA_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = 1000
SCHEMA = SCHEMA_DIR / "schema.pbtxt"


@dataclasses.dataclass
class Step:
    exit_code: int
    status: str
    message: str
    versions: list
    record: object


def _retrain(config, data_root, output_root, span_window: int = 1) -> Step:
    from pipeline.local_run import LocalPaths, run_local_pipeline
    from pipeline.run_summary import latest_run, pushed_versions

    outcome = run_local_pipeline(config, data_root, output_root, SCHEMA, span_window=span_window)
    paths = LocalPaths(Path(output_root))
    return Step(
        exit_code=outcome.exit_code,
        status=outcome.status,
        message=outcome.message,
        versions=pushed_versions(paths.serving_model_dir),
        record=latest_run(paths.metadata_path, config.pipeline_name),
    )


def _write_records(data_root: Path, span: int, records) -> None:
    folder = span_directory(data_root, span)
    folder.mkdir(parents=True, exist_ok=True)
    records.to_csv(folder / "patients.csv", index=False, float_format="%.10g")


@pytest.fixture(scope="session")
def story(tmp_path_factory, small_config):
    root = tmp_path_factory.mktemp("retraining")
    data_root, output_root = root / "patients", root / "outputs"
    steps = {}

    write_span(data_root, span=1, num_rows=ROWS, seed=21)
    steps["span1"] = _retrain(small_config, data_root, output_root)

    write_span(data_root, span=2, num_rows=ROWS, seed=22)
    steps["span2"] = _retrain(small_config, data_root, output_root)

    corrupted = write_span(root / "scratch", span=3, num_rows=ROWS, seed=23).records
    corrupted.loc[corrupted.index[::20], "heart_rate_bpm"] = 900
    _write_records(data_root, 3, corrupted)
    steps["span3"] = _retrain(small_config, data_root, output_root)

    drifted = write_span(root / "scratch", span=4, num_rows=ROWS, seed=24).records
    drifted["age"] = (drifted["age"] + 25).clip(upper=95)
    drifted.loc[drifted.index[: int(0.7 * ROWS)], "admission_type"] = "emergency"
    _write_records(data_root, 4, drifted)
    steps["span4"] = _retrain(small_config, data_root, output_root)

    shuffled = write_span(root / "scratch", span=5, num_rows=ROWS, seed=25).records
    shuffled["disease_risk"] = np.random.default_rng(0).permutation(shuffled["disease_risk"])
    _write_records(data_root, 5, shuffled)
    steps["span5"] = _retrain(small_config, data_root, output_root)

    steps["rerun"] = _retrain(small_config, data_root, output_root)
    # A rolling window of two: span 5 (validated alone) and span 2, the newest earlier span
    # that passed validation (3 and 4 were rejected).
    steps["window"] = _retrain(small_config, data_root, output_root, span_window=2)
    return steps


def _span(step: Step) -> int:
    from pipeline.run_summary import trained_span

    return trained_span(step.record)


def _verdict(step: Step) -> dict:
    from pipeline.run_summary import read_verdict

    return read_verdict(step.record)


def test_span_1_is_pushed_as_v1(story):
    step = story["span1"]
    assert (step.exit_code, step.status) == (0, "pushed"), step.message
    assert len(step.versions) == 1
    assert _span(step) == 1


def test_span_2_is_checked_against_v1_and_pushed_as_v2(story):
    step = story["span2"]
    assert (step.exit_code, step.status) == (0, "pushed"), step.message
    assert _span(step) == 2
    assert len(step.versions) == 2 and step.versions[0] == story["span1"].versions[0]
    verdict = _verdict(step)
    assert verdict["baseline_model"] == story["span1"].record.output_uri("trainer", "model")
    regression = [g for t in verdict["tasks"] for g in t["gates"] if g["gate"] == "non_regression"]
    assert regression and all(g["status"] == "pass" for g in regression)
    # Span 2 was compared for drift with span 1, the served model's span, and passed.
    assert step.record.state("anomalies_gate") == "complete"


def test_span_3_corrupted_is_rejected_and_v2_stays(story):
    step = story["span3"]
    assert (step.exit_code, step.status) == (3, "data_rejected")
    assert "column 'heart_rate_bpm'" in step.message
    assert _span(step) == 3
    assert "trainer" not in step.record.components
    assert step.versions == story["span2"].versions


def test_span_4_drifted_is_rejected_with_a_readable_message(story):
    step = story["span4"]
    assert (step.exit_code, step.status) == (3, "data_rejected")
    assert "Drift from the served model's span" in step.message
    assert "column 'admission_type'" in step.message and "column 'age'" in step.message
    assert "trainer" not in step.record.components
    assert step.versions == story["span2"].versions


def test_span_5_worse_on_one_task_is_not_blessed_and_v2_stays(story):
    step = story["span5"]
    assert (step.exit_code, step.status) == (4, "not_blessed"), step.message
    assert step.record.state("trainer") == "complete"
    verdict = _verdict(step)
    failing_tasks = {f["task"] for f in verdict["failures"]}
    assert failing_tasks == {"disease_risk"}
    assert any(f["gate"] == "lower_bound" and f["metric"] == "auc" for f in verdict["failures"])
    stay = next(t for t in verdict["tasks"] if t["task"] == "length_of_stay_days")
    assert stay["passed"] is True
    # The baseline is still v2's model: a rejected run never becomes the baseline.
    assert verdict["baseline_model"] == story["span2"].record.output_uri("trainer", "model")
    assert step.versions == story["span2"].versions


def test_rerun_with_no_new_span_trains_and_pushes_nothing(story):
    step = story["rerun"]
    assert _span(step) == 5
    for node in ("example_gen", "statistics_gen", "transform", "trainer", "evaluator", "pusher"):
        assert step.record.state(node) == "cached", (node, step.record.state(node))
    assert step.versions == story["span2"].versions
    assert step.exit_code == 4  # still the same, unblessed candidate; nothing new happened


def _overall_eval_count(step: Step) -> float:
    from components.gate_verdict.metrics import read_metric_table

    table = read_metric_table(step.record.output_uri("evaluator", "evaluation"))
    return table[("candidate", "Overall", "disease_risk", "example_count")]


def test_rolling_window_trains_on_accepted_spans_and_validates_the_newest_alone(story):
    step = story["window"]
    record = step.record
    assert record.state("window_example_gen") == "complete"
    # Validation read span 5 alone: the same statistics as the rerun's, from the cache.
    assert record.state("statistics_gen") == "cached"
    assert record.state("trainer") == "complete"
    # The hash split is per record, so the window's eval split is exactly spans 5 + 2.
    assert _overall_eval_count(step) == _overall_eval_count(story["span5"]) + _overall_eval_count(
        story["span2"]
    )
    assert step.versions == story["span2"].versions or step.status == "pushed"


def test_busy_output_root_exits_5_without_touching_it(tmp_path):
    import local_runner
    from pipeline.local_run import run_lock

    output_root = tmp_path / "outputs"
    with run_lock(output_root, wait=False) as locked:
        assert locked
        code = local_runner.main(
            ["retrain", "--output-root", str(output_root), "--data-root", str(tmp_path)]
        )
    assert code == 5
    assert not (output_root / "metadata.sqlite").exists()
    with run_lock(output_root, wait=False) as locked_again:
        assert locked_again  # released


def test_a_run_killed_in_the_trainer_completes_when_started_again(tmp_path, small_config):
    data_root, output_root = tmp_path / "patients", tmp_path / "outputs"
    write_span(data_root, span=1, num_rows=ROWS, seed=31)
    # The real command in its own process group, killed as soon as the Trainer starts.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT_ROOT / "local_runner.py"),
            "retrain",
            "--data-root",
            str(data_root),
            "--output-root",
            str(output_root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    seen = []
    deadline = time.monotonic() + 300
    try:
        for line in process.stdout:
            seen.append(line)
            if "trainer ..." in line or time.monotonic() > deadline:
                break
        time.sleep(2)  # well inside the Trainer
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert any("trainer ..." in line for line in seen), "".join(seen[-20:])

    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import pushed_versions

    assert pushed_versions(LocalPaths(output_root).serving_model_dir) == []
    # The default config's gates, with the same data: started again, it finishes from the cache.
    from pipeline.defaults import DEFAULT_CONFIG

    step = _retrain(DEFAULT_CONFIG, data_root, output_root)
    assert step.status in ("pushed", "not_blessed"), step.message
    for node in ("example_gen", "statistics_gen", "transform"):
        assert step.record.state(node) == "cached", (node, step.record.state(node))
    assert step.record.state("trainer") == "complete"

"""A second dataset end to end, from its config file and curated schema alone.

The ICU cohort (configs/icu/) has other column names, an integer-coded category, log-
transformed, clipped and bucketized numbers, three tasks (two binary, one regression, with a
Huber loss and a loss weight) and other slices. It is 600 rows: a small cohort, as real ones
often are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config_file import load_config
from pipeline.defaults import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ICU_CONFIG = PROJECT_ROOT / "configs" / "icu" / "icu.yaml"


@pytest.fixture(scope="session")
def icu_run(tmp_path_factory):
    from pipeline.local_run import LocalPaths, run_local_pipeline
    from pipeline.run_summary import latest_run, pushed_versions, read_verdict

    config = load_config(ICU_CONFIG)
    output_root = tmp_path_factory.mktemp("icu") / "outputs"
    outcome = run_local_pipeline(config, config.data_root, output_root, config.schema_path)
    paths = LocalPaths(output_root)
    record = latest_run(paths.metadata_path, config.pipeline_name)
    return {
        "config": config,
        "outcome": outcome,
        "record": record,
        "verdict": read_verdict(record),
        "versions": pushed_versions(paths.serving_model_dir),
        "serving": paths.serving_model_dir,
    }


def test_runs_end_to_end_and_pushes(icu_run):
    assert icu_run["outcome"].status == "pushed", icu_run["outcome"].message
    assert len(icu_run["versions"]) == 1
    for node in ("transform", "trainer", "evaluator", "gate_verdict", "pusher"):
        assert icu_run["record"].state(node) == "complete", node


def test_verdict_judges_all_three_tasks_and_small_slices_are_not_judged(icu_run):
    verdict = icu_run["verdict"]
    assert [t["task"] for t in verdict["tasks"]] == ["sepsis", "icu_mortality", "icu_days"]
    assert all(t["passed"] for t in verdict["tasks"])
    statuses = {g["status"] for t in verdict["tasks"] for g in t["gates"]}
    assert "pass" in statuses
    # 600 patients: some slices are under the configured 20 examples.
    small = [g for t in verdict["tasks"] for g in t["gates"] if g["status"] == "not_enough_data"]
    assert small and all("fewer than the minimum 20" in g["reason"] for g in small)


def test_pushed_model_serves_three_heads_from_the_cohort_columns(icu_run):
    import tensorflow as tf

    from components.examples import records_to_serialized_examples
    from pipeline.config_file import load_schema

    config = icu_run["config"]
    model = tf.saved_model.load(str(Path(icu_run["serving"]) / icu_run["versions"][-1]))
    records = pd.read_csv(Path(config.data_root) / "span-1" / "cohort.csv").head(8)
    features = records.drop(columns=list(config.label_columns))
    serialized = records_to_serialized_examples(
        features.to_dict("records"), load_schema(config.schema_path)
    )
    outputs = model.signatures["serving_default"](examples=tf.constant(serialized))
    assert set(outputs) == {"sepsis", "icu_mortality", "icu_days"}
    for name in ("sepsis", "icu_mortality"):
        values = outputs[name].numpy()
        assert values.shape == (8, 1) and ((values > 0) & (values < 1)).all()
    assert (outputs["icu_days"].numpy() > 0).all()


def test_report_and_model_card_cover_the_three_tasks(icu_run):
    report = Path(icu_run["record"].output_uri("report", "report")) / "report.html"
    html = report.read_text()
    for task in ("sepsis", "icu_mortality", "icu_days"):
        assert f"<h2>{task}" in html
    assert "suppressed: fewer than 20 patients" in html
    card = Path(icu_run["serving"]) / icu_run["versions"][-1] / "assets.extra" / "model_card.md"
    assert "# Model card: icu-multitask" in card.read_text()


def test_integer_codes_got_a_vocabulary_and_buckets_an_embedding(icu_run):
    transform_graph = icu_run["record"].output_uri("transform", "transform_graph")
    vocabulary = Path(transform_graph) / "transform_fn" / "assets" / "ward_code_vocabulary"
    assert set(vocabulary.read_text().split()) == {"1", "2", "3", "4", "5"}

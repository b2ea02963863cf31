"""The gate verdict's pure logic on hand-built metric tables: every gate kind, every status."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.gate_verdict.verdict import (
    FAIL,
    NO_BASELINE,
    NOT_ENOUGH_DATA,
    PASS,
    judge,
    render_console,
    render_markdown,
)
from pipeline.config import Gate, SliceGate
from pipeline.defaults import DEFAULT_CONFIG


def _config(
    disease_gates=(),
    disease_slice_gates=(),
    stay_gates=(),
    stay_slice_gates=(),
    min_slice_examples=30,
):
    disease, stay = DEFAULT_CONFIG.tasks
    disease = dataclasses.replace(
        disease,
        gates=disease_gates or (Gate("auc", lower_bound=0.7, max_regression=0.02),),
        slice_gates=disease_slice_gates,
    )
    stay = dataclasses.replace(
        stay,
        gates=stay_gates or (Gate("mae", upper_bound=2.5, max_relative_regression=0.05),),
        slice_gates=stay_slice_gates,
    )
    return DEFAULT_CONFIG.replace(tasks=(disease, stay), min_slice_examples=min_slice_examples)


def _table(candidate=None, baseline=None):
    """A table in the verdict's format from {(slice, task, metric): value} per model."""
    table = {}
    for model, values in (("candidate", candidate or {}), ("baseline", baseline or {})):
        for (slice_, task, metric), value in values.items():
            table[(model, slice_, task, metric)] = value
    return table


HEALTHY = {
    ("Overall", "disease_risk", "auc"): 0.80,
    ("Overall", "disease_risk", "example_count"): 2000,
    ("Overall", "length_of_stay_days", "mae"): 1.9,
    ("Overall", "length_of_stay_days", "example_count"): 2000,
}


def _rows(verdict, task, gate=None):
    rows = [r for t in verdict.tasks if t.task == task for r in t.results]
    return [r for r in rows if gate is None or r.gate == gate]


def test_first_run_bounds_apply_and_regression_gates_say_no_baseline():
    verdict = judge(_config(), _table(HEALTHY), has_baseline=False)
    assert verdict.blessed
    [bound] = _rows(verdict, "disease_risk", "lower_bound")
    assert bound.status == PASS and bound.candidate == 0.80 and bound.bound == ">= 0.7"
    [regression] = _rows(verdict, "disease_risk", "non_regression")
    assert regression.status == NO_BASELINE
    assert "no blessed baseline" in regression.reason


def test_worse_on_one_task_fails_that_task_only_and_names_the_gate():
    baseline = dict(HEALTHY)
    candidate = dict(HEALTHY)
    candidate[("Overall", "disease_risk", "auc")] = 0.76  # 0.04 worse, 0.02 allowed
    verdict = judge(_config(), _table(candidate, baseline), has_baseline=True)
    assert not verdict.blessed
    [failure] = verdict.failures
    assert (failure.task, failure.gate, failure.metric, failure.slice) == (
        "disease_risk",
        "non_regression",
        "auc",
        "Overall",
    )
    assert failure.candidate == 0.76 and failure.baseline == 0.80
    assert "0.04 worse than the baseline 0.8; at most 0.02 is allowed" in failure.reason
    stay = next(t for t in verdict.tasks if t.task == "length_of_stay_days")
    assert stay.passed


def test_relative_tolerance_uses_the_metric_direction():
    baseline = dict(HEALTHY)
    candidate = dict(HEALTHY)
    candidate[("Overall", "length_of_stay_days", "mae")] = 1.98  # 4.2% worse, 5% allowed
    verdict = judge(_config(), _table(candidate, baseline), has_baseline=True)
    assert verdict.blessed
    candidate[("Overall", "length_of_stay_days", "mae")] = 2.05  # 7.9% worse
    verdict = judge(_config(), _table(candidate, baseline), has_baseline=True)
    [failure] = verdict.failures
    assert failure.gate == "non_regression" and "lower is better" in failure.bound
    # Lower MAE is an improvement, never a regression.
    candidate[("Overall", "length_of_stay_days", "mae")] = 1.2
    assert judge(_config(), _table(candidate, baseline), has_baseline=True).blessed


def test_absolute_bound_failure_says_by_how_much():
    candidate = dict(HEALTHY)
    candidate[("Overall", "length_of_stay_days", "mae")] = 2.75
    verdict = judge(_config(), _table(candidate), has_baseline=False)
    [failure] = verdict.failures
    assert failure.gate == "upper_bound"
    assert failure.reason == "mae 2.75 on Overall is above the ceiling 2.5 by 0.25"


def test_slice_floor_fails_in_one_slice_only_and_small_slices_are_not_judged():
    candidate = dict(HEALTHY)
    for band, auc, count in (("<40", 0.78, 300), ("40-64", 0.66, 900), ("80+", 0.40, 12)):
        candidate[(f"age_band={band}", "disease_risk", "auc")] = auc
        candidate[(f"age_band={band}", "disease_risk", "example_count")] = count
    config = _config(disease_slice_gates=(SliceGate("auc", "age_band", lower_bound=0.7),))
    verdict = judge(config, _table(candidate), has_baseline=False)
    assert not verdict.blessed
    rows = {r.slice: r for r in _rows(verdict, "disease_risk") if r.gate.startswith("slice")}
    assert rows["age_band=<40"].status == PASS
    assert rows["age_band=40-64"].status == FAIL
    assert "below the floor 0.7 by 0.04" in rows["age_band=40-64"].reason
    # 12 examples: not judged, never reported as passing, and not what blocks the push.
    assert rows["age_band=80+"].status == NOT_ENOUGH_DATA
    assert "12 examples, fewer than the minimum 30" in rows["age_band=80+"].reason
    assert [f.slice for f in verdict.failures] == ["age_band=40-64"]


def test_gap_between_slices():
    candidate = dict(HEALTHY)
    for sex, auc in (("F", 0.82), ("M", 0.74)):
        candidate[(f"sex={sex}", "disease_risk", "auc")] = auc
        candidate[(f"sex={sex}", "disease_risk", "example_count")] = 1000
    config = _config(disease_slice_gates=(SliceGate("auc", "sex", max_gap=0.05),))
    [gap] = _rows(judge(config, _table(candidate), False), "disease_risk", "slice_gap")
    assert gap.status == FAIL
    assert gap.candidate == pytest.approx(0.08)
    assert "between sex=F (0.82) and sex=M (0.74) exceeds 0.05" in gap.reason


def test_gap_with_one_judgeable_slice_is_not_enough_data():
    candidate = dict(HEALTHY)
    candidate[("sex=F", "disease_risk", "auc")] = 0.8
    candidate[("sex=F", "disease_risk", "example_count")] = 1000
    candidate[("sex=M", "disease_risk", "auc")] = 0.5
    candidate[("sex=M", "disease_risk", "example_count")] = 5
    config = _config(disease_slice_gates=(SliceGate("auc", "sex", max_gap=0.05),))
    verdict = judge(config, _table(candidate), False)
    [gap] = _rows(verdict, "disease_risk", "slice_gap")
    assert gap.status == NOT_ENOUGH_DATA and verdict.blessed


def test_undefined_metric_on_a_slice_is_not_enough_data():
    candidate = dict(HEALTHY)
    candidate[("admission_type=transfer", "disease_risk", "auc")] = float("nan")
    candidate[("admission_type=transfer", "disease_risk", "example_count")] = 200
    config = _config(disease_slice_gates=(SliceGate("auc", "admission_type", lower_bound=0.6),))
    [row] = [
        r
        for r in _rows(judge(config, _table(candidate), False), "disease_risk")
        if r.slice == "admission_type=transfer"
    ]
    assert row.status == NOT_ENOUGH_DATA and "undefined" in row.reason


def test_renderings_put_failures_first_and_serialise():
    candidate = dict(HEALTHY)
    candidate[("Overall", "disease_risk", "auc")] = 0.6
    verdict = judge(_config(), _table(candidate), has_baseline=False)
    markdown = render_markdown(verdict)
    assert markdown.startswith("# Gate verdict: NOT BLESSED, 1 gate(s) failed")
    assert markdown.index("## Failing gates") < markdown.index("## disease_risk: FAILED")
    assert "## length_of_stay_days: passed" in markdown
    console = render_console(verdict)
    assert console[0].startswith("FAILED  disease_risk / lower_bound / Overall: auc 0.6")
    document = json.loads(json.dumps(verdict.as_dict()))
    assert document["blessed"] is False
    assert document["failures"][0]["metric"] == "auc"
    assert [t["task"] for t in document["tasks"]] == ["disease_risk", "length_of_stay_days"]
    for task in document["tasks"]:
        for gate in task["gates"]:
            assert set(gate) == {
                "task",
                "gate",
                "metric",
                "slice",
                "candidate",
                "baseline",
                "bound",
                "status",
                "reason",
            }

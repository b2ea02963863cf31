"""The report's pure logic: suppression of small slices and bins, plots, and the pages."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from components.report.render import (  # noqa: E402
    DataSummary,
    TaskPredictions,
    calibration_bins,
    render_model_card,
    render_report,
    slice_rows,
    task_plots,
)

TABLE = {
    ("candidate", "Overall", "risk", "example_count"): 500.0,
    ("candidate", "Overall", "risk", "auc"): 0.8,
    ("baseline", "Overall", "risk", "auc"): 0.78,
    ("candidate", "ward=A", "risk", "example_count"): 480.0,
    ("candidate", "ward=A", "risk", "auc"): 0.81,
    ("candidate", "ward=B", "risk", "example_count"): 7.0,
    ("candidate", "ward=B", "risk", "auc"): 0.99,
}


def test_small_slices_keep_only_their_name():
    rows = slice_rows(TABLE, "risk", ["auc"], min_patients=20)
    assert [r["slice"] for r in rows] == ["Overall", "ward=A", "ward=B"]
    assert rows[0]["metrics"]["auc"] == (0.8, 0.78)
    assert rows[2] == {"slice": "ward=B", "suppressed": True}


def test_calibration_bins_never_stand_for_fewer_than_the_minimum():
    rng = np.random.default_rng(0)
    scores = rng.random(95)
    labels = (rng.random(95) < scores).astype(float)
    bins = calibration_bins(labels, scores, min_patients=20)
    assert bins and all(count >= 20 for _, _, count in bins)
    assert sum(count for _, _, count in bins) <= 95


def test_plots_are_embedded_images_and_tiny_evaluations_get_none():
    rng = np.random.default_rng(1)
    binary = TaskPredictions(
        "risk", "binary_classification", (rng.random(300) < 0.3) * 1.0, rng.random(300)
    )
    regression = TaskPredictions("stay", "regression", rng.gamma(2, 2, 300), rng.gamma(2, 2, 300))
    assert all(p.startswith("data:image/png;base64,") for p in task_plots(binary, 20))
    assert len(task_plots(binary, 20)) == 2 and len(task_plots(regression, 20)) == 2
    tiny = TaskPredictions("stay", "regression", np.ones(5), np.ones(5))
    assert task_plots(tiny, 20) == []


def _pages():
    verdict = {
        "blessed": False,
        "already_serving": False,
        "failures": [{"task": "risk"}],
        "tasks": [
            {
                "task": "risk",
                "passed": False,
                "gates": [
                    {
                        "task": "risk",
                        "gate": "lower_bound",
                        "metric": "auc",
                        "slice": "Overall",
                        "candidate": 0.6,
                        "baseline": None,
                        "bound": ">= 0.7",
                        "status": "fail",
                        "reason": "auc 0.6 on Overall is below the floor 0.7 by 0.1",
                    },
                    {
                        "task": "risk",
                        "gate": "slice_lower_bound",
                        "metric": "auc",
                        "slice": "ward=A",
                        "candidate": 0.81,
                        "baseline": None,
                        "bound": ">= 0.7",
                        "status": "pass",
                        "reason": "ok",
                    },
                ],
            }
        ],
    }
    tasks = [
        {
            "name": "risk",
            "type": "binary_classification",
            "label_column": "risk",
            "metrics": ["auc"],
            "slices": slice_rows(TABLE, "risk", ["auc"], 20),
            "plots": [],
        }
    ]
    data = DataSummary(
        span=3,
        rows_per_split={"train": 700, "eval": 200},
        missing_fraction={"bmi": 0.03},
        anomalies=[],
    )
    common = dict(pipeline_name="demo", verdict=verdict, tasks=tasks, data=data, min_patients=20)
    return render_report(**common), render_model_card(**common, synthetic=True, model_uri="m/1")


def test_report_puts_the_failing_gate_first_and_suppresses_the_small_slice():
    html, _ = _pages()
    assert "NOT BLESSED: 1 gate(s) failed" in html
    assert html.index("below the floor 0.7") < html.index(">ok<")
    assert "suppressed: fewer than 20 patients" in html
    assert "0.99" not in html  # the small slice's metric never appears
    assert "span 3" in html and "3.0%" in html


def test_model_card_has_every_section_and_says_synthetic():
    _, card = _pages()
    for heading in (
        "## Intended use",
        "## Out of scope",
        "## Tasks",
        "## Training data",
        "## Metrics",
        "## Gates passed",
        "## Known limitations",
    ):
        assert heading in card
    assert "synthetic" in card and "suppressed (fewer than 20)" in card

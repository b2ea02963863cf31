"""The baseline Resolver leaves the candidate out, and the verdict still knows it is serving."""

from __future__ import annotations

import pytest

pytest.importorskip("tfx")

from tfx.types import standard_artifacts  # noqa: E402

from components.baseline_resolver import resolve_baseline  # noqa: E402
from components.gate_verdict.executor import is_already_serving  # noqa: E402


def _model(artifact_id: int):
    model = standard_artifacts.Model()
    model.id = artifact_id
    return model


def _blessing(artifact_id: int, model_id: int, blessed: bool):
    blessing = standard_artifacts.ModelBlessing()
    blessing.id = artifact_id
    blessing.set_int_custom_property("current_model_id", model_id)
    blessing.set_int_custom_property("blessed", int(blessed))
    return blessing


def test_first_run_has_no_baseline():
    result = resolve_baseline([_model(1)], [], [_model(1)])
    assert result["model"] == [] and result["model_blessing"] == []
    assert result["candidate_blessing"] == []
    assert [m.id for m in result["candidate"]] == [1]


def test_new_candidate_is_compared_with_the_newest_blessed_model():
    models = [_model(1), _model(2), _model(3), _model(4)]
    blessings = [_blessing(10, 1, True), _blessing(11, 2, True), _blessing(12, 3, False)]
    result = resolve_baseline(models, blessings, [_model(4)])
    assert [m.id for m in result["model"]] == [2]  # 3 was not blessed
    assert [b.id for b in result["model_blessing"]] == [11]
    assert result["candidate_blessing"] == []
    assert not is_already_serving(_model(4), result["model"][0], result["candidate_blessing"])


def test_served_candidate_keeps_its_own_baseline_and_is_known_to_be_serving():
    """The rerun after a push: the candidate (2) is the newest blessed model. The baseline is
    the one it was judged against (1), as in the run that trained it, so the Evaluator's
    inputs are unchanged and its cache is used."""
    models = [_model(1), _model(2)]
    blessings = [_blessing(10, 1, True), _blessing(11, 2, True)]
    result = resolve_baseline(models, blessings, [_model(2)])
    assert [m.id for m in result["model"]] == [1]
    assert [b.id for b in result["candidate_blessing"]] == [11]
    assert is_already_serving(_model(2), result["model"][0], result["candidate_blessing"])


def test_served_first_model_has_no_baseline_on_rerun():
    result = resolve_baseline([_model(1)], [_blessing(10, 1, True)], [_model(1)])
    assert result["model"] == []
    assert is_already_serving(_model(1), None, result["candidate_blessing"])


def test_latest_blessed_strategy_returning_the_candidate_is_also_serving():
    # The compiled Kubeflow graph keeps TFX's strategy, which returns the candidate itself.
    assert is_already_serving(_model(5), _model(5), [])
    assert not is_already_serving(_model(5), _model(4), [_blessing(10, 4, True)])

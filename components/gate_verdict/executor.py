"""Executor of the gate verdict: a thin ``Do()`` around ``verdict.judge``."""

from __future__ import annotations

import json
import os
from typing import Any

from absl import logging
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from components.artifact_files import write_text
from components.gate_verdict.metrics import read_metric_table
from components.gate_verdict.verdict import judge, render_console, render_markdown
from pipeline.config import PipelineConfig

EVALUATION_KEY = "evaluation"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
CANDIDATE_BLESSING_KEY = "candidate_blessing"
CONFIG_KEY = "pipeline_config"
VERDICT_KEY = "verdict"
BLESSING_KEY = "blessing"

VERDICT_JSON = "verdict.json"
VERDICT_MARKDOWN = "verdict.md"
# The files and properties TFX's Pusher and LatestBlessedModelStrategy read.
BLESSED_FILE, NOT_BLESSED_FILE = "BLESSED", "NOT_BLESSED"


def is_already_serving(
    model: types.Artifact,
    baseline: types.Artifact | None,
    candidate_blessings: list[types.Artifact],
) -> bool:
    """Whether the candidate is the model in service: a rerun on unchanged data, where the
    Trainer was cached. It stays blessed, but there is nothing to push.

    The baseline Resolver either returns the candidate itself (TFX's latest-blessed strategy,
    the compiled graph) or leaves it out and returns the candidate's earlier blessing
    (``components.baseline_resolver``, the local graph).
    """
    if baseline is not None and baseline.id == model.id:
        return True
    return any(
        b.get_int_custom_property("blessed") == 1
        and b.get_int_custom_property("current_model_id") == model.id
        for b in candidate_blessings
    )


class Executor(base_executor.BaseExecutor):
    """Judges the gates, writes the verdict and the blessing."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        config = PipelineConfig.from_dict(json.loads(exec_properties[CONFIG_KEY]))
        evaluation = artifact_utils.get_single_instance(input_dict[EVALUATION_KEY])
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        baselines = input_dict.get(BASELINE_MODEL_KEY) or []
        baseline = baselines[0] if baselines else None

        table = read_metric_table(evaluation.uri)
        verdict = judge(config, table, has_baseline=baseline is not None)
        document = verdict.as_dict()
        document["candidate_model"] = model.uri
        document["baseline_model"] = baseline.uri if baseline else None
        already_serving = is_already_serving(
            model, baseline, input_dict.get(CANDIDATE_BLESSING_KEY) or []
        )
        document["already_serving"] = already_serving

        verdict_artifact = artifact_utils.get_single_instance(output_dict[VERDICT_KEY])
        write_text(os.path.join(verdict_artifact.uri, VERDICT_JSON), json.dumps(document, indent=2))
        write_text(os.path.join(verdict_artifact.uri, VERDICT_MARKDOWN), render_markdown(verdict))
        # Queryable in ML Metadata by later runs and tools.
        verdict_artifact.set_int_custom_property("blessed", int(verdict.blessed))
        verdict_artifact.set_int_custom_property("failed_gates", len(verdict.failures))
        verdict_artifact.set_int_custom_property("candidate_model_id", model.id)
        verdict_artifact.set_int_custom_property("already_serving", int(already_serving))
        for task in verdict.tasks:
            verdict_artifact.set_int_custom_property(f"{task.task}_passed", int(task.passed))
            verdict_artifact.set_string_custom_property(
                f"{task.task}_failures", json.dumps([r.reason for r in task.failures])
            )

        blessing = artifact_utils.get_single_instance(output_dict[BLESSING_KEY])
        # The Pusher pushes what this blessing says; the model's earlier blessing keeps it the
        # Resolver's baseline when it is already serving.
        push = verdict.blessed and not already_serving
        write_text(os.path.join(blessing.uri, BLESSED_FILE if push else NOT_BLESSED_FILE), "")
        blessing.set_int_custom_property("blessed", int(push))
        if already_serving:
            blessing.set_string_custom_property("reason", "already serving: nothing to push")
        blessing.set_string_custom_property("current_model", model.uri)
        blessing.set_int_custom_property("current_model_id", model.id)
        if baseline is not None:
            blessing.set_string_custom_property("baseline_model", baseline.uri)
            blessing.set_int_custom_property("baseline_model_id", baseline.id)

        for line in render_console(verdict):
            logging.info("gate_verdict: %s", line)

"""The GateVerdict TFX component: spec and class. The logic is in ``verdict.py``."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.artifact import Artifact
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.gate_verdict import executor
from pipeline.config import PipelineConfig


class GateVerdict(Artifact):
    """The per-task, per-gate verdict: ``verdict.json`` and ``verdict.md``."""

    # Kubeflow V2 wants custom artifact types named "<namespace>.<Name>".
    TYPE_NAME = "clinical.GateVerdict"


class GateVerdictSpec(types.ComponentSpec):
    PARAMETERS = {executor.CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {
        executor.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        executor.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        executor.BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
        executor.CANDIDATE_BLESSING_KEY: ChannelParameter(
            type=standard_artifacts.ModelBlessing, optional=True
        ),
    }
    OUTPUTS = {
        executor.VERDICT_KEY: ChannelParameter(type=GateVerdict),
        executor.BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class GateVerdictComponent(base_component.BaseComponent):
    """Judges every task's gates on the Evaluator's metrics and blesses the model or not."""

    SPEC_CLASS = GateVerdictSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        evaluation: types.BaseChannel,
        model: types.BaseChannel,
        baseline_model: types.BaseChannel,
        config: PipelineConfig,
        candidate_blessing: types.BaseChannel | None = None,
    ):
        """Args:
        evaluation: the Evaluator's ``evaluation`` output.
        model: the candidate model the Evaluator evaluated.
        baseline_model: the model to compare with (a Resolver's output), possibly empty.
        config: the pipeline configuration holding the tasks' gates.
        candidate_blessing: the candidate's own earlier blessing, when the baseline Resolver
            leaves the candidate out (``components.baseline_resolver``); when present, the
            candidate is already serving.
        """
        super().__init__(
            spec=GateVerdictSpec(
                evaluation=evaluation,
                model=model,
                baseline_model=baseline_model,
                candidate_blessing=candidate_blessing,
                pipeline_config=config.for_components(),
                verdict=types.Channel(type=GateVerdict),
                blessing=types.Channel(type=standard_artifacts.ModelBlessing),
            )
        )

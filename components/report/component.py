"""The Report TFX component: spec and class. The logic is in ``render.py``."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.artifact import Artifact
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.gate_verdict.component import GateVerdict
from components.report import executor
from pipeline.config import PipelineConfig


class Report(Artifact):
    """``report.html`` (the run) and ``model_card.md`` (the model)."""

    TYPE_NAME = "clinical.Report"


class ReportSpec(types.ComponentSpec):
    PARAMETERS = {
        executor.CONFIG_KEY: ExecutionParameter(type=str),
        executor.SYNTHETIC_KEY: ExecutionParameter(type=int, optional=True),
    }
    INPUTS = {
        executor.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        executor.VERDICT_KEY: ChannelParameter(type=GateVerdict),
        executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        executor.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        executor.STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        executor.ANOMALIES_KEY: ChannelParameter(
            type=standard_artifacts.ExampleAnomalies, optional=True
        ),
    }
    OUTPUTS = {executor.REPORT_KEY: ChannelParameter(type=Report)}


class ReportComponent(base_component.BaseComponent):
    """Renders the run's HTML report and the candidate's model card."""

    SPEC_CLASS = ReportSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        *,
        evaluation: types.BaseChannel,
        verdict: types.BaseChannel,
        examples: types.BaseChannel,
        model: types.BaseChannel,
        statistics: types.BaseChannel,
        anomalies: types.BaseChannel | None,
        config: PipelineConfig,
        synthetic_data: bool,
    ):
        super().__init__(
            spec=ReportSpec(
                evaluation=evaluation,
                verdict=verdict,
                examples=examples,
                model=model,
                statistics=statistics,
                anomalies=anomalies,
                pipeline_config=config.for_components(),
                synthetic_data=int(synthetic_data),
                report=types.Channel(type=Report),
            )
        )

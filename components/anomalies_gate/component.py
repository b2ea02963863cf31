"""The AnomaliesGate TFX component: spec and class. The logic is in ``describe.py``."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.anomalies_gate.executor import (
    ANOMALIES_KEY,
    BASELINE_STATISTICS_KEY,
    SCHEMA_KEY,
    STATISTICS_KEY,
    Executor,
)


class AnomaliesGateSpec(types.ComponentSpec):
    """ExampleValidator's anomalies, plus what the drift check needs. No outputs: the gate
    passes or fails the run."""

    PARAMETERS = {BASELINE_STATISTICS_KEY: ExecutionParameter(type=str, optional=True)}
    INPUTS = {
        ANOMALIES_KEY: ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
    }
    OUTPUTS: dict = {}


class AnomaliesGate(base_component.BaseComponent):
    """Stops the pipeline when ExampleValidator found anomalies, or the span drifted.

    Make the components that must not see bad data depend on it with
    ``transform.add_upstream_node(gate)``.
    """

    SPEC_CLASS = AnomaliesGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(
        self,
        anomalies: types.BaseChannel,
        statistics: types.BaseChannel,
        schema: types.BaseChannel,
        baseline_statistics_uri: str = "",
    ):
        """Args:
        anomalies: the ``anomalies`` output of ExampleValidator.
        statistics: the new span's statistics (StatisticsGen).
        schema: the curated schema, whose drift comparators bound the drift.
        baseline_statistics_uri: statistics of the span the served model was trained on; the
            drift check is skipped when empty (first run, or a run without that lookup).
        """
        super().__init__(
            spec=AnomaliesGateSpec(
                anomalies=anomalies,
                statistics=statistics,
                schema=schema,
                baseline_statistics_uri=baseline_statistics_uri,
            )
        )

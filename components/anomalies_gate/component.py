"""The AnomaliesGate TFX component: spec and class. The logic is in ``describe.py``."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter

from components.anomalies_gate.executor import ANOMALIES_KEY, Executor


class AnomaliesGateSpec(types.ComponentSpec):
    """One input: ExampleValidator's anomalies. No outputs: the gate passes or fails the run."""

    PARAMETERS: dict = {}
    INPUTS = {ANOMALIES_KEY: ChannelParameter(type=standard_artifacts.ExampleAnomalies)}
    OUTPUTS: dict = {}


class AnomaliesGate(base_component.BaseComponent):
    """Stops the pipeline when ExampleValidator found anomalies.

    Make the components that must not see bad data depend on it with
    ``transform.add_upstream_node(gate)``.
    """

    SPEC_CLASS = AnomaliesGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, anomalies: types.BaseChannel):
        """Args: anomalies: the ``anomalies`` output of ExampleValidator."""
        super().__init__(spec=AnomaliesGateSpec(anomalies=anomalies))

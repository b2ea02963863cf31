"""The AtomicPusher component: TFX's Pusher inputs and outputs, plus the run's report, whose
model card is shipped inside each pushed version."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter

from components.atomic_pusher.executor import REPORT_KEY, Executor
from components.report.component import Report

_PUSHER = standard_component_specs.PusherSpec


class AtomicPusherSpec(types.ComponentSpec):
    PARAMETERS = dict(_PUSHER.PARAMETERS)
    INPUTS = {**_PUSHER.INPUTS, REPORT_KEY: ChannelParameter(type=Report, optional=True)}
    OUTPUTS = dict(_PUSHER.OUTPUTS)


class AtomicPusher(base_component.BaseComponent):
    """Pushes a blessed model into ``<base>/<version>`` all at once, with its model card."""

    SPEC_CLASS = AtomicPusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(
        self,
        *,
        model: types.BaseChannel,
        model_blessing: types.BaseChannel,
        push_destination: pusher_pb2.PushDestination,
        report: types.BaseChannel | None = None,
    ):
        super().__init__(
            spec=AtomicPusherSpec(
                model=model,
                model_blessing=model_blessing,
                push_destination=push_destination,
                report=report,
                pushed_model=types.Channel(type=standard_artifacts.PushedModel),
            )
        )

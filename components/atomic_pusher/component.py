"""The AtomicPusher component: TFX's Pusher with the executor of ``executor.py``."""

from __future__ import annotations

from tfx.components import Pusher
from tfx.dsl.components.base import executor_spec

from components.atomic_pusher.executor import Executor


class AtomicPusher(Pusher):
    """Same inputs, outputs and parameters as ``tfx.components.Pusher``."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

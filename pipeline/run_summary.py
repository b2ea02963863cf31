"""What a pipeline run did, read back from ML Metadata and the Evaluator's output.

Used by the runners for the closing summary and by the tests for their assertions.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from pipeline.config import PipelineConfig

_STATE_NAMES = {
    metadata_store_pb2.Execution.COMPLETE: "complete",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.RUNNING: "running",
    metadata_store_pb2.Execution.NEW: "new",
    metadata_store_pb2.Execution.CANCELED: "canceled",
}


@dataclasses.dataclass(frozen=True)
class ComponentRun:
    """One component's execution in a pipeline run.

    Attributes:
        state: ``complete`` (it ran), ``cached`` (its earlier outputs were reused), ``failed``...
        outputs: output key -> artifact URIs.
        output_properties: output key -> each artifact's custom properties.
    """

    state: str
    outputs: Mapping[str, list[str]]
    output_properties: Mapping[str, list[dict[str, object]]]


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """The components of one pipeline run, by node id, as recorded in ML Metadata."""

    run_id: str
    components: Mapping[str, ComponentRun]

    def state(self, node_id: str) -> str | None:
        run = self.components.get(node_id)
        return run.state if run else None

    def output_uri(self, node_id: str, key: str) -> str | None:
        run = self.components.get(node_id)
        uris = run.outputs.get(key, []) if run else []
        return uris[0] if uris else None


def open_store(metadata_path: str | os.PathLike) -> metadata_store.MetadataStore:
    """Opens the SQLite ML Metadata store of a local run (read-only use)."""
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE
    return metadata_store.MetadataStore(config)


def _property_value(value: metadata_store_pb2.Value) -> object:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def list_runs(store: metadata_store.MetadataStore, pipeline_name: str) -> list[RunRecord]:
    """Every run of ``pipeline_name`` recorded in ``store``, oldest first."""
    pipeline_contexts = [
        c for c in store.get_contexts_by_type("pipeline") if c.name == pipeline_name
    ]
    if not pipeline_contexts:
        return []
    run_contexts = [
        c
        for c in store.get_contexts_by_type("pipeline_run")
        if c.id in {p.id for p in store.get_children_contexts_by_context(pipeline_contexts[0].id)}
    ] or store.get_contexts_by_type("pipeline_run")
    run_contexts.sort(key=lambda c: (c.create_time_since_epoch, c.id))
    return [_read_run(store, context, pipeline_name) for context in run_contexts]


def _read_run(
    store: metadata_store.MetadataStore, run_context: metadata_store_pb2.Context, pipeline: str
) -> RunRecord:
    executions = store.get_executions_by_context(run_context.id)
    components: dict[str, ComponentRun] = {}
    for execution in sorted(executions, key=lambda e: e.id):
        node_contexts = [
            c
            for c in store.get_contexts_by_execution(execution.id)
            if c.name.startswith(f"{pipeline}.")
        ]
        if not node_contexts:
            continue
        node_id = node_contexts[0].name[len(pipeline) + 1 :]
        outputs: dict[str, list[str]] = {}
        properties: dict[str, list[dict[str, object]]] = {}
        events = store.get_events_by_execution_ids([execution.id])
        output_events = [
            e
            for e in events
            if e.type in (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
        ]
        artifacts = {
            a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in output_events])
        }
        for event in output_events:
            key = event.path.steps[0].key if event.path.steps else ""
            artifact = artifacts[event.artifact_id]
            outputs.setdefault(key, []).append(artifact.uri)
            props = {k: _property_value(v) for k, v in artifact.custom_properties.items()}
            props.update({k: _property_value(v) for k, v in artifact.properties.items()})
            properties.setdefault(key, []).append(props)
        components[node_id] = ComponentRun(
            state=_STATE_NAMES.get(execution.last_known_state, "unknown"),
            outputs=outputs,
            output_properties=properties,
        )
    return RunRecord(run_id=run_context.name, components=components)


def latest_run(metadata_path: str | os.PathLike, pipeline_name: str) -> RunRecord | None:
    """The most recent run of ``pipeline_name`` in a local SQLite store, or ``None``."""
    if not Path(metadata_path).exists():
        return None
    runs = list_runs(open_store(metadata_path), pipeline_name)
    return runs[-1] if runs else None


def pushed_versions(serving_model_dir: str | os.PathLike) -> list[str]:
    """The versions the Pusher wrote, oldest first (the folder names are timestamps)."""
    root = Path(serving_model_dir)
    if not root.is_dir():
        return []
    return sorted(
        (p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=int
    )


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One task's headline numbers on the overall evaluation slice."""

    task: str
    metrics: Mapping[str, float]
    baseline_metrics: Mapping[str, float]
    failures: tuple[str, ...]


def slice_name(slice_key) -> str:
    """``Overall`` or ``column=value`` pairs joined by ``, ``, from a TFMA slice key proto."""
    parts = []
    for key in slice_key.single_slice_keys:
        kind = key.WhichOneof("kind")
        value = getattr(key, kind) if kind else ""
        parts.append(f"{key.column}={value.decode() if isinstance(value, bytes) else value}")
    return ", ".join(parts) or "Overall"


def describe_failure(slice_key, failure) -> str:
    """One line for a TFMA validation failure: metric, slice, value and the bound it broke."""
    key, threshold = failure.metric_key, failure.metric_threshold
    value = failure.metric_value.double_value.value
    where = f"{key.name} on {slice_name(slice_key)}"
    if key.is_diff:
        change = threshold.change_threshold
        return (
            f"{where}: changed by {value:+.4f} against the baseline; allowed "
            f"{change.absolute.value:+.4f} ({tfma_direction_name(change.direction)})"
        )
    bounds = threshold.value_threshold
    if bounds.HasField("lower_bound") and value < bounds.lower_bound.value:
        return f"{where}: {value:.4f} is below the lower bound {bounds.lower_bound.value:.4f}"
    if bounds.HasField("upper_bound") and value > bounds.upper_bound.value:
        return f"{where}: {value:.4f} is above the upper bound {bounds.upper_bound.value:.4f}"
    return f"{where}: {value:.4f} failed {failure.message or 'its threshold'}"


def tfma_direction_name(direction: int) -> str:
    return {1: "lower is better", 2: "higher is better"}.get(direction, "direction unknown")


def read_evaluation(evaluation_uri: str, config: PipelineConfig) -> tuple[bool, list[TaskResult]]:
    """Reads the Evaluator's output: whether every gate passed, and each task's metrics.

    Returns:
        ``(validation_ok, task_results)``; failures are TFMA's own messages per task.
    """
    import tensorflow_model_analysis as tfma

    candidate: dict[str, dict[str, float]] = {t.name: {} for t in config.tasks}
    baseline: dict[str, dict[str, float]] = {t.name: {} for t in config.tasks}
    for metrics_for_slice in tfma.load_metrics(evaluation_uri):
        if metrics_for_slice.slice_key.single_slice_keys:
            continue  # overall slice only
        for item in metrics_for_slice.metric_keys_and_values:
            key = item.key
            if key.output_name not in candidate or key.is_diff:
                continue
            if not item.value.HasField("double_value"):
                continue
            target = baseline if key.model_name == "baseline" else candidate
            if key.model_name not in ("", "candidate", "baseline"):
                continue
            target[key.output_name][key.name] = item.value.double_value.value

    validation = tfma.load_validation_result(evaluation_uri)
    failures: dict[str, list[str]] = {t.name: [] for t in config.tasks}
    for per_slice in validation.metric_validations_per_slice:
        for failure in per_slice.failures:
            task = failure.metric_key.output_name
            failures.setdefault(task, []).append(describe_failure(per_slice.slice_key, failure))
    results = [
        TaskResult(
            task=t.name,
            metrics=candidate[t.name],
            baseline_metrics=baseline[t.name],
            failures=tuple(failures.get(t.name, [])),
        )
        for t in config.tasks
    ]
    return validation.validation_ok, results

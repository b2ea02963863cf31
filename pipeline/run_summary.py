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
    return sorted((p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=int)


def read_verdict(run: RunRecord) -> dict | None:
    """The gate verdict (``verdict.json``) a run wrote, or ``None`` if it wrote none."""
    import json

    uri = run.output_uri("gate_verdict", "verdict")
    path = Path(uri) / "verdict.json" if uri else None
    if path is None or not path.exists():
        return None
    return json.loads(path.read_text())


@dataclasses.dataclass(frozen=True)
class ServedModel:
    """What the model in service was trained on, from the run that pushed it."""

    model_uri: str
    statistics_uri: str
    span: int | None
    pushed_destination: str


def served_model(metadata_path: str | os.PathLike, pipeline_name: str) -> ServedModel | None:
    """The newest pushed model and the statistics of its span, or ``None`` before any push."""
    if not Path(metadata_path).exists():
        return None
    for run in reversed(list_runs(open_store(metadata_path), pipeline_name)):
        pusher = run.components.get("pusher")
        pushed = pusher.output_properties.get("pushed_model", []) if pusher else []
        if not (pushed and pushed[0].get("pushed") == 1):
            continue
        return ServedModel(
            model_uri=run.output_uri("trainer", "model") or "",
            statistics_uri=run.output_uri("statistics_gen", "statistics") or "",
            span=trained_span(run),
            pushed_destination=str(pushed[0].get("pushed_destination", "")),
        )
    return None


def trained_span(run: RunRecord) -> int | None:
    """The span ExampleGen read in ``run``."""
    example_gen = run.components.get("example_gen")
    examples = example_gen.output_properties.get("examples", []) if example_gen else []
    span = examples[0].get("span") if examples else None
    return int(span) if span is not None else None


def accepted_spans(metadata_path: str | os.PathLike, pipeline_name: str) -> set[int]:
    """Spans that passed the anomalies gate (schema and drift) in some run."""
    if not Path(metadata_path).exists():
        return set()
    accepted = set()
    for run in list_runs(open_store(metadata_path), pipeline_name):
        span = trained_span(run)
        if span is not None and run.state("anomalies_gate") in ("complete", "cached"):
            accepted.add(span)
    return accepted

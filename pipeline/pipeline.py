"""``create_pipeline``: the one definition of the DAG, shared by every runner.

CsvExampleGen → StatisticsGen → ImportSchemaGen → ExampleValidator → AnomaliesGate →
Transform → Trainer → baseline Resolver → Evaluator → GateVerdict → Report → Pusher.

The function is pure: it builds the pipeline object from its arguments and touches no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfx import v1 as tfx
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.v1.extensions import google_cloud_ai_platform as vertex

from components.anomalies_gate.component import AnomaliesGate
from components.atomic_pusher.component import AtomicPusher
from components.baseline_resolver import PreviousBlessedModelStrategy
from components.gate_verdict.component import GateVerdictComponent
from components.report.component import ReportComponent
from pipeline.config import CUSTOM_CONFIG_KEY, PipelineConfig
from pipeline.evaluation import build_eval_config

PREPROCESSING_FN = "components.preprocessing.preprocessing_fn"
RUN_FN = "components.model.run_fn"


# The local graph's ids. The compiled Kubeflow graph has "latest_blessed_model_resolver" in
# place of "baseline_model_resolver" (see create_pipeline's baseline_excludes_candidate).
COMPONENT_IDS = (
    "example_gen",
    "statistics_gen",
    "schema_importer",
    "example_validator",
    "anomalies_gate",
    "transform",
    "trainer",
    "baseline_model_resolver",
    "evaluator",
    "gate_verdict",
    "report",
    "pusher",
)


def _csv_example_gen(data_root: Any, config: PipelineConfig) -> tfx.components.CsvExampleGen:
    """Reads the newest span under ``data_root``; hash-splits it into train (fitting),
    validation (early stopping) and eval (the verdict, never seen while training)."""
    return tfx.components.CsvExampleGen(
        input_base=data_root,
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="all", pattern=config.span_pattern)]
        ),
        output_config=tfx.proto.Output(
            split_config=tfx.proto.SplitConfig(
                splits=[
                    tfx.proto.SplitConfig.Split(name=name, hash_buckets=buckets)
                    for name, buckets in config.splits
                ]
            )
        ),
    )


def _required(value: Any, name: str) -> Any:
    if not value:
        raise ValueError(f"create_pipeline: {name} is required for Vertex AI training or serving")
    return value


def create_pipeline(
    *,
    config: PipelineConfig,
    data_root: str | tfx.dsl.experimental.RuntimeParameter,
    schema_path: str,
    pipeline_root: str,
    serving_model_dir: str,
    metadata_connection_config=None,
    beam_pipeline_args: Sequence[str] = (),
    enable_cache: bool = True,
    vertex_region: str | None = None,
    vertex_training_args: Mapping[str, Any] | None = None,
    vertex_serving_args: Mapping[str, Any] | None = None,
    vertex_serving_image_uri: str | None = None,
    baseline_statistics_uri: str = "",
    window_data_root: str | None = None,
    baseline_excludes_candidate: bool = True,
) -> tfx_pipeline.Pipeline:
    """Builds the multi-task clinical pipeline.

    Args:
        config: the validated pipeline configuration; tasks, features, slices and gates.
        data_root: the folder holding ``span-<N>/*.csv``; the latest span is read.
        schema_path: the curated ``schema.pbtxt``.
        pipeline_root: where TFX writes the artifacts.
        serving_model_dir: where the Pusher writes blessed models, one versioned folder each.
        metadata_connection_config: ML Metadata connection; ``None`` lets the runner decide.
        beam_pipeline_args: arguments for the Beam-based components.
        enable_cache: reuse the outputs of components whose inputs did not change.
        vertex_region: the region of the Vertex training job and endpoint (with the two below).
        vertex_training_args: when given, train as a Vertex AI custom job with these
            ``worker_pool_specs`` (the TFX Google Cloud extension's Trainer).
        vertex_serving_args: when given, push to a Vertex AI endpoint (the extension's Pusher)
            instead of ``serving_model_dir``; needs ``vertex_serving_image_uri``.
        baseline_statistics_uri: the statistics of the span the served model was trained on;
            the anomalies gate rejects a span that drifted from it beyond the schema's drift
            comparators. Empty: no drift check (first run).
        window_data_root: a folder holding one ``span-<N>`` folder with the CSV files of the
            last accepted spans (``pipeline.local_run`` assembles it); when given, training and
            evaluation read it while validation still reads the newest span alone. Local only.
        baseline_excludes_candidate: the baseline is the newest blessed model other than the
            candidate (``components.baseline_resolver``), so that a rerun with nothing new
            after a push is served from the Evaluator's cache instead of scoring the served
            model against itself. ``False`` uses TFX's ``LatestBlessedModelStrategy``, the only
            one the Kubeflow V2 compiler accepts.

    Returns:
        The TFX ``Pipeline``.
    """
    custom_config = {CUSTOM_CONFIG_KEY: config.for_components()}

    example_gen = _csv_example_gen(data_root, config).with_id("example_gen")
    # The rolling window: the newest span is validated alone (example_gen), and Transform,
    # Trainer and Evaluator read the window of accepted spans the local runner assembled.
    window_example_gen = (
        _csv_example_gen(window_data_root, config).with_id("window_example_gen")
        if window_data_root
        else None
    )
    training_examples = (window_example_gen or example_gen).outputs["examples"]

    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"]).with_id(
        "statistics_gen"
    )

    schema_importer = tfx.components.ImportSchemaGen(schema_file=schema_path).with_id(
        "schema_importer"
    )

    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_importer.outputs["schema"],
    ).with_id("example_validator")

    anomalies_gate = AnomaliesGate(
        anomalies=example_validator.outputs["anomalies"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_importer.outputs["schema"],
        baseline_statistics_uri=baseline_statistics_uri,
    ).with_id("anomalies_gate")

    transform = tfx.components.Transform(
        examples=training_examples,
        schema=schema_importer.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=custom_config,
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "validation"]),
    ).with_id("transform")
    # Bad data must never reach Transform: it waits for the gate, which fails on anomalies.
    transform.add_upstream_node(anomalies_gate)

    latest_blessed = tfx.dsl.Resolver(
        strategy_class=LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")

    trainer_class = tfx.components.Trainer
    trainer_config = dict(custom_config)
    if vertex_training_args is not None:
        trainer_class = vertex.Trainer
        trainer_config.update(
            {
                vertex.ENABLE_VERTEX_KEY: True,
                vertex.VERTEX_REGION_KEY: _required(vertex_region, "vertex_region"),
                vertex.TRAINING_ARGS_KEY: dict(vertex_training_args),
            }
        )
    trainer = trainer_class(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_importer.outputs["schema"],
        train_args=tfx.proto.TrainArgs(splits=["train"]),
        eval_args=tfx.proto.EvalArgs(splits=["validation"]),
        custom_config=trainer_config,
        # Warm start: run_fn starts from the served model's weights when they fit.
        base_model=latest_blessed.outputs["model"] if config.training.warm_start else None,
    ).with_id("trainer")

    # The baseline of the Evaluator and the verdict. Leaving the candidate out needs the
    # Trainer's output, so that Resolver runs after the Trainer; warm start, which feeds the
    # Trainer, keeps the plain latest-blessed Resolver.
    if baseline_excludes_candidate:
        baseline_resolver = tfx.dsl.Resolver(
            strategy_class=PreviousBlessedModelStrategy,
            model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
            model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
            candidate=trainer.outputs["model"],
            candidate_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
        ).with_id("baseline_model_resolver")
        resolvers = [baseline_resolver] + ([latest_blessed] if config.training.warm_start else [])
        candidate_blessing = baseline_resolver.outputs["candidate_blessing"]
    else:
        baseline_resolver, resolvers, candidate_blessing = latest_blessed, [latest_blessed], None

    evaluator = tfx.components.Evaluator(
        examples=training_examples,
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        eval_config=build_eval_config(config),
        example_splits=["eval"],
    ).with_id("evaluator")

    gate_verdict = GateVerdictComponent(
        evaluation=evaluator.outputs["evaluation"],
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        candidate_blessing=candidate_blessing,
        config=config,
    ).with_id("gate_verdict")

    report = ReportComponent(
        evaluation=evaluator.outputs["evaluation"],
        verdict=gate_verdict.outputs["verdict"],
        examples=training_examples,
        model=trainer.outputs["model"],
        statistics=statistics_gen.outputs["statistics"],
        anomalies=example_validator.outputs["anomalies"],
        config=config,
        synthetic_data=config.synthetic_data,
    ).with_id("report")

    if vertex_serving_args is not None:
        pusher = vertex.Pusher(
            model=trainer.outputs["model"],
            model_blessing=gate_verdict.outputs["blessing"],
            custom_config={
                vertex.ENABLE_VERTEX_KEY: True,
                vertex.VERTEX_REGION_KEY: _required(vertex_region, "vertex_region"),
                vertex.VERTEX_CONTAINER_IMAGE_URI_KEY: _required(
                    vertex_serving_image_uri, "vertex_serving_image_uri"
                ),
                vertex.SERVING_ARGS_KEY: dict(vertex_serving_args),
            },
        ).with_id("pusher")
    else:
        pusher = AtomicPusher(
            model=trainer.outputs["model"],
            model_blessing=gate_verdict.outputs["blessing"],
            push_destination=tfx.proto.PushDestination(
                filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)
            ),
            report=report.outputs["report"],
        ).with_id("pusher")

    return tfx_pipeline.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=pipeline_root,
        components=[
            example_gen,
            *([window_example_gen] if window_example_gen else []),
            statistics_gen,
            schema_importer,
            example_validator,
            anomalies_gate,
            transform,
            trainer,
            *resolvers,
            evaluator,
            gate_verdict,
            report,
            pusher,
        ],
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args),
    )

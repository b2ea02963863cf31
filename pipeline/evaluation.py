"""The TFMA configuration, generated from the task declarations.

One ``MetricsSpec`` per task (``output_names=[task]``) with its metrics from the configuration.
Slices: overall plus one per configured slice column; bucketed slices (``age_band``) come from
the ``transform_features`` signature.

No TFMA thresholds: TFMA computes the metrics of the candidate and of the last blessed model,
and the ``gate_verdict`` component judges the gates (bounds, non-regression, per-slice floors
with a minimum slice size, cross-slice gaps) in one readable verdict. With no thresholds the
Evaluator writes no blessing, so the only blessing the Resolver and Pusher see is the verdict's.
"""

from __future__ import annotations

import json

import tensorflow_model_analysis as tfma
from google.protobuf import wrappers_pb2

from pipeline.config import METRIC_CATALOGUE, PipelineConfig, Task

EXAMPLE_COUNT = "example_count"

SERVING_SIGNATURE = "serving_default"
TRANSFORM_SIGNATURE = "transform_features"


def metric_config(metric: str) -> tfma.MetricConfig:
    """The TFMA ``MetricConfig`` of one catalogue metric, under its catalogue name."""
    definition = METRIC_CATALOGUE[metric]
    if definition.is_tfma_metric:
        return tfma.MetricConfig(class_name=definition.class_name)
    keras_config = {"name": definition.name, **definition.keras_config}
    return tfma.MetricConfig(
        class_name=definition.class_name, config=json.dumps(keras_config, sort_keys=True)
    )


def task_metrics_spec(task: Task) -> tfma.MetricsSpec:
    """One ``MetricsSpec`` for one task's output: its metrics, plus the example count that
    the slice gates need to tell a judged slice from one with too little data."""
    metrics = list(task.metrics)
    if EXAMPLE_COUNT not in metrics:
        metrics.append(EXAMPLE_COUNT)
    return tfma.MetricsSpec(
        output_names=[task.name], metrics=[metric_config(metric) for metric in metrics]
    )


def slicing_specs(config: PipelineConfig) -> list[tfma.SlicingSpec]:
    """Overall, then one slicing spec per configured slice."""
    return [tfma.SlicingSpec()] + [
        tfma.SlicingSpec(feature_keys=[slice_.name]) for slice_ in config.slices
    ]


def build_eval_config(config: PipelineConfig) -> tfma.EvalConfig:
    """Builds the Evaluator's ``EvalConfig`` from the configuration.

    Labels are read from the raw examples (``label_keys``), so the serving signature returns
    each task's prediction in the label's own unit. Default metrics are off: they would
    recompute the compile() metrics on the serving outputs.
    """
    needs_transform = any(slice_.boundaries for slice_ in config.slices)
    model_spec = tfma.ModelSpec(
        signature_name=SERVING_SIGNATURE,
        label_keys={task.name: task.label_column for task in config.tasks},
        preprocessing_function_names=[TRANSFORM_SIGNATURE] if needs_transform else [],
    )
    return tfma.EvalConfig(
        model_specs=[model_spec],
        slicing_specs=slicing_specs(config),
        metrics_specs=[task_metrics_spec(task) for task in config.tasks],
        options=tfma.Options(include_default_metrics=wrappers_pb2.BoolValue(value=False)),
    )

"""The TFMA configuration, generated from the task declarations.

One ``MetricsSpec`` per task (``output_names=[task]``), its metrics from the configuration, and
its gates as TFMA thresholds on the overall slice: bounds as value thresholds, non-regression
against the last blessed model as change thresholds. Slices: overall plus one per configured
slice column; bucketed slices (``age_band``) come from the ``transform_features`` signature.
"""

from __future__ import annotations

import json

import tensorflow_model_analysis as tfma
from google.protobuf import wrappers_pb2

from pipeline.config import METRIC_CATALOGUE, Gate, PipelineConfig, Task

SERVING_SIGNATURE = "serving_default"
TRANSFORM_SIGNATURE = "transform_features"


def _threshold(gate: Gate) -> tfma.MetricThreshold:
    definition = METRIC_CATALOGUE[gate.metric]
    threshold = tfma.MetricThreshold()
    if gate.lower_bound is not None:
        threshold.value_threshold.lower_bound.value = gate.lower_bound
    if gate.upper_bound is not None:
        threshold.value_threshold.upper_bound.value = gate.upper_bound
    if gate.max_regression is not None:
        if definition.higher_is_better:
            threshold.change_threshold.direction = tfma.MetricDirection.HIGHER_IS_BETTER
            threshold.change_threshold.absolute.value = -gate.max_regression
        else:
            threshold.change_threshold.direction = tfma.MetricDirection.LOWER_IS_BETTER
            threshold.change_threshold.absolute.value = gate.max_regression
    return threshold


def metric_config(metric: str, gates: tuple[Gate, ...] = ()) -> tfma.MetricConfig:
    """The TFMA ``MetricConfig`` of one catalogue metric, with the gates that test it."""
    definition = METRIC_CATALOGUE[metric]
    if definition.is_tfma_metric:
        config = tfma.MetricConfig(class_name=definition.class_name)
    else:
        keras_config = {"name": definition.name, **definition.keras_config}
        config = tfma.MetricConfig(
            class_name=definition.class_name, config=json.dumps(keras_config, sort_keys=True)
        )
    for gate in gates:
        if gate.metric == metric:
            # A plain MetricConfig.threshold would apply to every slice; a task's gates are
            # on the overall slice.
            config.per_slice_thresholds.add(
                slicing_specs=[tfma.SlicingSpec()], threshold=_threshold(gate)
            )
    return config


def task_metrics_spec(task: Task) -> tfma.MetricsSpec:
    """One ``MetricsSpec`` for one task's output, with its metrics and gates."""
    return tfma.MetricsSpec(
        output_names=[task.name],
        metrics=[metric_config(metric, task.gates) for metric in task.metrics],
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

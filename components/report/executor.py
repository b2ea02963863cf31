"""Executor of the report: gathers the run's artifacts and writes report.html and model_card.md."""

from __future__ import annotations

import glob
import json
import os
from typing import Any

import numpy as np
from absl import logging
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from components.anomalies_gate.describe import describe_anomalies
from components.anomalies_gate.executor import read_anomalies
from components.artifact_files import write_text
from components.gate_verdict.metrics import read_metric_table
from components.report.render import (
    DataSummary,
    TaskPredictions,
    render_model_card,
    render_report,
    slice_rows,
    task_plots,
)
from pipeline.config import PipelineConfig

EVALUATION_KEY, VERDICT_KEY, EXAMPLES_KEY = "evaluation", "verdict", "examples"
MODEL_KEY, STATISTICS_KEY, ANOMALIES_KEY = "model", "statistics", "anomalies"
CONFIG_KEY, SYNTHETIC_KEY, REPORT_KEY = "pipeline_config", "synthetic_data", "report"
REPORT_FILE, MODEL_CARD_FILE = "report.html", "model_card.md"
EVAL_SPLIT = "eval"
BATCH = 1024


def _label_value(feature) -> float:
    values = feature.int64_list.value or feature.float_list.value
    return float(values[0]) if values else float("nan")


def predict_eval_split(
    examples: types.Artifact, model_uri: str, config: PipelineConfig
) -> list[TaskPredictions]:
    """Runs the candidate's serving signature on the eval split; keeps labels beside."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples.uri, f"Split-{EVAL_SPLIT}", "*")))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    serve = tf.saved_model.load(os.path.join(model_uri, "Format-Serving")).signatures[
        "serving_default"
    ]
    predictions: dict[str, list[np.ndarray]] = {t.name: [] for t in config.tasks}
    for start in range(0, len(records), BATCH):
        outputs = serve(examples=tf.constant(records[start : start + BATCH]))
        for task in config.tasks:
            predictions[task.name].append(outputs[task.name].numpy().reshape(-1))
    labels: dict[str, list[float]] = {t.name: [] for t in config.tasks}
    for record in records:
        example = tf.train.Example.FromString(record)
        for task in config.tasks:
            labels[task.name].append(_label_value(example.features.feature[task.label_column]))
    return [
        TaskPredictions(
            task=t.name,
            task_type=t.type,
            labels=np.asarray(labels[t.name]),
            predictions=np.concatenate(predictions[t.name]) if records else np.zeros(0),
        )
        for t in config.tasks
    ]


def summarise_data(
    statistics: types.Artifact, examples: types.Artifact, anomalies: types.Artifact | None
) -> DataSummary:
    """Rows per split, missing share per column (train split) and anomalies, from artifacts."""
    import tensorflow_data_validation as tfdv

    rows, missing = {}, {}
    for split in artifact_utils.decode_split_names(statistics.split_names):
        path = os.path.join(statistics.uri, f"Split-{split}", "FeatureStats.pb")
        dataset = tfdv.load_stats_binary(path).datasets[0]
        rows[split] = int(dataset.num_examples)
        if split == "train" and dataset.num_examples:
            for feature in dataset.features:
                common = (
                    feature.num_stats.common_stats
                    if feature.HasField("num_stats")
                    else feature.string_stats.common_stats
                )
                # Single-valued columns: an absent feature and an empty CSV cell both lack
                # their one value.
                present = min(common.tot_num_values, dataset.num_examples)
                missing[feature.path.step[0]] = 1.0 - present / dataset.num_examples
    problems = describe_anomalies(read_anomalies(anomalies)) if anomalies else []
    try:
        span = int(examples.span)
    except (AttributeError, TypeError, ValueError):
        span = None
    return DataSummary(span=span, rows_per_split=rows, missing_fraction=missing, anomalies=problems)


class Executor(base_executor.BaseExecutor):
    """Writes ``report.html`` (every run) and ``model_card.md`` (for the Pusher to ship)."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        config = PipelineConfig.from_dict(json.loads(exec_properties[CONFIG_KEY]))
        single = artifact_utils.get_single_instance
        evaluation = single(input_dict[EVALUATION_KEY])
        verdict_artifact = single(input_dict[VERDICT_KEY])
        examples = single(input_dict[EXAMPLES_KEY])
        model = single(input_dict[MODEL_KEY])
        statistics = single(input_dict[STATISTICS_KEY])
        anomalies = (input_dict.get(ANOMALIES_KEY) or [None])[0]
        with fileio.open(os.path.join(verdict_artifact.uri, "verdict.json")) as f:
            verdict = json.load(f)

        minimum = config.min_report_patients
        table = read_metric_table(evaluation.uri)
        predictions = {p.task: p for p in predict_eval_split(examples, model.uri, config)}
        tasks = []
        for task in config.tasks:
            shown = [m for m in task.metrics if m != "example_count"]
            tasks.append(
                {
                    "name": task.name,
                    "type": task.type,
                    "label_column": task.label_column,
                    "metrics": shown,
                    "slices": slice_rows(table, task.name, shown, minimum),
                    "plots": task_plots(predictions[task.name], minimum),
                }
            )
        data = summarise_data(statistics, examples, anomalies)
        common = dict(
            pipeline_name=config.pipeline_name,
            verdict=verdict,
            tasks=tasks,
            data=data,
            min_patients=minimum,
        )
        report = single(output_dict[REPORT_KEY])
        write_text(os.path.join(report.uri, REPORT_FILE), render_report(**common))
        card = render_model_card(
            **common,
            synthetic=bool(exec_properties.get(SYNTHETIC_KEY)),
            model_uri=model.uri,
        )
        write_text(os.path.join(report.uri, MODEL_CARD_FILE), card)
        logging.info("Report written to %s", os.path.join(report.uri, REPORT_FILE))

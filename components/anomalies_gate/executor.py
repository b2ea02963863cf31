"""Executor of the anomalies gate: reads ExampleValidator's output and fails on any anomaly."""

from __future__ import annotations

import os
from typing import Any

from absl import logging
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from components.anomalies_gate.describe import DataRejectedError, describe_anomalies, drift_only

ANOMALIES_KEY = "anomalies"
STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
BASELINE_STATISTICS_KEY = "baseline_statistics_uri"
# The split whose distribution is compared with the served model's span.
DRIFT_SPLIT = "train"
STATISTICS_FILE_NAME = "FeatureStats.pb"
# The file ExampleValidator writes into each split folder.
ANOMALIES_FILE_NAME = "SchemaDiff.pb"


def read_anomalies(artifact: types.Artifact) -> dict[str, anomalies_pb2.Anomalies]:
    """Reads the anomalies of every split of one ExampleAnomalies artifact."""
    result = {}
    for split in artifact_utils.decode_split_names(artifact.split_names):
        path = os.path.join(artifact.uri, f"Split-{split}", ANOMALIES_FILE_NAME)
        anomalies = anomalies_pb2.Anomalies()
        with fileio.open(path, "rb") as f:
            anomalies.ParseFromString(f.read())
        result[split] = anomalies
    return result


def check_drift(
    statistics: types.Artifact, schema_uri: str, baseline_statistics_uri: str
) -> anomalies_pb2.Anomalies:
    """Compares the new span's train split with the served model's, using the schema's drift
    comparators (L-infinity for categorical features, Jensen-Shannon for numeric ones)."""
    import tensorflow_data_validation as tfdv

    current = tfdv.load_stats_binary(
        os.path.join(statistics.uri, f"Split-{DRIFT_SPLIT}", STATISTICS_FILE_NAME)
    )
    previous = tfdv.load_stats_binary(
        os.path.join(baseline_statistics_uri, f"Split-{DRIFT_SPLIT}", STATISTICS_FILE_NAME)
    )
    schema = tfdv.load_schema_text(os.path.join(schema_uri, "schema.pbtxt"))
    anomalies = tfdv.validate_statistics(current, schema, previous_statistics=previous)
    return drift_only(anomalies)


class Executor(base_executor.BaseExecutor):
    """Raises ``DataRejectedError`` listing each anomaly, and each drift over its bound."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        artifact = artifact_utils.get_single_instance(input_dict[ANOMALIES_KEY])
        problems = describe_anomalies(read_anomalies(artifact))
        baseline_statistics = exec_properties.get(BASELINE_STATISTICS_KEY) or ""
        if baseline_statistics:
            statistics = artifact_utils.get_single_instance(input_dict[STATISTICS_KEY])
            schema = artifact_utils.get_single_instance(input_dict[SCHEMA_KEY])
            drift = check_drift(statistics, schema.uri, baseline_statistics)
            problems += describe_anomalies({DRIFT_SPLIT: drift})
        else:
            logging.info("AnomaliesGate: no baseline statistics given; drift not checked.")
        if problems:
            raise DataRejectedError(problems)
        logging.info("AnomaliesGate: no anomalies in %s; the run goes on.", artifact.uri)

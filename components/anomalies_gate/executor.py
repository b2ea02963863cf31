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

from components.anomalies_gate.describe import DataRejectedError, describe_anomalies

ANOMALIES_KEY = "anomalies"
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


class Executor(base_executor.BaseExecutor):
    """Raises ``DataRejectedError`` listing each anomaly when any split has one."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        artifact = artifact_utils.get_single_instance(input_dict[ANOMALIES_KEY])
        problems = describe_anomalies(read_anomalies(artifact))
        if problems:
            raise DataRejectedError(problems)
        logging.info("AnomaliesGate: no anomalies in %s; the run goes on.", artifact.uri)

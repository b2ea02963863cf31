"""The anomalies gate's logic: TFDV anomalies become plain sentences naming split and column."""

from __future__ import annotations

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2

from components.anomalies_gate import DataRejectedError, describe_anomalies


def _anomalies(**columns) -> anomalies_pb2.Anomalies:
    anomalies = anomalies_pb2.Anomalies()
    for column, (short, description) in columns.items():
        info = anomalies.anomaly_info[column]
        info.short_description = short
        reason = info.reason.add()
        reason.short_description = short
        reason.description = description
    return anomalies


def test_clean_data_has_no_problems():
    assert describe_anomalies({"train": anomalies_pb2.Anomalies()}) == []


def test_each_anomaly_is_one_sentence_with_split_and_column():
    problems = describe_anomalies(
        {
            "train": _anomalies(age=("Out-of-range values", "Unexpectedly large value: 900.")),
            "eval": _anomalies(
                disease_risk=("Column dropped", "The feature was present in fewer examples.")
            ),
        }
    )
    assert problems == [
        "split 'eval', column 'disease_risk': Column dropped. "
        "The feature was present in fewer examples.",
        "split 'train', column 'age': Out-of-range values. Unexpectedly large value: 900.",
    ]


def test_drift_over_the_bound_is_reported():
    anomalies = anomalies_pb2.Anomalies()
    drift = anomalies.drift_skew_info.add()
    drift.path.step.append("admission_type")
    measurement = drift.drift_measurements.add()
    measurement.value, measurement.threshold = 0.4, 0.1
    assert describe_anomalies({"train": anomalies}) == [
        "split 'train', column 'admission_type': drift 0.400 is above the bound 0.100."
    ]


def test_error_message_lists_problems_and_says_nothing_was_lost():
    error = DataRejectedError(["split 'train', column 'age': Out-of-range values."])
    text = str(error)
    assert "1 anomaly" in text
    assert "last pushed model is unchanged" in text
    assert "column 'age'" in text
    with pytest.raises(DataRejectedError):
        raise error

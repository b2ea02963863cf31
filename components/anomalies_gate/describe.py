"""Pure logic of the anomalies gate: turn TFDV anomalies into plain sentences. No TFX here."""

from __future__ import annotations

from collections.abc import Mapping

from tensorflow_metadata.proto.v0 import anomalies_pb2


class DataRejectedError(RuntimeError):
    """A data span broke the curated schema; the run stops before training.

    Attributes:
        problems: one plain sentence per anomaly.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Data rejected: the span has {len(problems)} anomal"
            f"{'y' if len(problems) == 1 else 'ies'} against the curated schema, so the run "
            f"stopped before Transform and Trainer; the last pushed model is unchanged.\n{lines}"
        )


def _reasons(info: anomalies_pb2.AnomalyInfo) -> str:
    parts = [r.description or r.short_description for r in info.reason]
    if not parts:
        parts = [info.description or info.short_description]
    return " ".join(p.rstrip(".") + "." for p in parts if p)


_DRIFT_TYPES = {
    anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH,
    anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH,
}


def drift_only(anomalies: anomalies_pb2.Anomalies) -> anomalies_pb2.Anomalies:
    """Keeps the drift findings (L-infinity and Jensen-Shannon comparators) of ``anomalies``.

    ``tfdv.validate_statistics`` with previous statistics reports schema anomalies too, which
    ExampleValidator has already reported; the drift check adds only what is new.
    """
    result = anomalies_pb2.Anomalies()
    for column, info in anomalies.anomaly_info.items():
        reasons = [r for r in info.reason if r.type in _DRIFT_TYPES]
        if reasons:
            kept = result.anomaly_info[column]
            kept.short_description = "Drift from the served model's span"
            kept.reason.extend(reasons)
    return result


def describe_anomalies(anomalies_by_split: Mapping[str, anomalies_pb2.Anomalies]) -> list[str]:
    """Lists every anomaly as one sentence naming the split and the column.

    Args:
        anomalies_by_split: TFDV's ``Anomalies`` per split name.

    Returns:
        Sentences such as ``split 'train', column 'age': Out-of-range values. Unexpectedly
        large value: 900.`` in split order and column order; empty when the data is clean.
    """
    problems = []
    for split in sorted(anomalies_by_split):
        anomalies = anomalies_by_split[split]
        for column in sorted(anomalies.anomaly_info):
            info = anomalies.anomaly_info[column]
            short = info.short_description or "anomaly"
            problems.append(f"split '{split}', column '{column}': {short}. {_reasons(info)}")
        if anomalies.HasField("dataset_anomaly_info"):
            info = anomalies.dataset_anomaly_info
            problems.append(
                f"split '{split}', whole dataset: {info.short_description}. {_reasons(info)}"
            )
        if anomalies.HasField("data_missing") and anomalies.data_missing:
            problems.append(f"split '{split}': the split has no data.")
        for drift in anomalies.drift_skew_info:
            path = ".".join(drift.path.step)
            if path in anomalies.anomaly_info:
                continue  # already described from its anomaly_info
            for measurement in drift.drift_measurements:
                if measurement.value > measurement.threshold:
                    problems.append(
                        f"split '{split}', column '{path}': drift "
                        f"{measurement.value:.3f} is above the bound {measurement.threshold:.3f}."
                    )
    return problems

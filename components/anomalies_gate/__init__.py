"""A gate after ExampleValidator: a span with anomalies stops the run before Transform.

TFX's ExampleValidator only records anomalies; nothing downstream reads them. This component
fails its execution when any split has an anomaly, so that Transform, Trainer and Pusher never
run on bad data and the last pushed model stays in place.
"""

from components.anomalies_gate.describe import DataRejectedError, describe_anomalies

__all__ = ["DataRejectedError", "describe_anomalies"]

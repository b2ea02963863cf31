"""Reading the Evaluator's TFMA output into the verdict's metric table."""

from __future__ import annotations

from components.gate_verdict.verdict import BASELINE, CANDIDATE, OVERALL


def slice_name(slice_key) -> str:
    """``Overall`` or ``column=value`` pairs joined by ``, ``, from a TFMA slice key proto."""
    parts = []
    for key in slice_key.single_slice_keys:
        kind = key.WhichOneof("kind")
        value = getattr(key, kind) if kind else ""
        parts.append(f"{key.column}={value.decode() if isinstance(value, bytes) else value}")
    return ", ".join(parts) or OVERALL


def read_metric_table(evaluation_uri: str) -> dict[tuple[str, str, str, str], float]:
    """Every scalar metric of the evaluation, keyed by (model, slice, task, metric).

    ``model`` is ``candidate`` or ``baseline``; differences between the two are left out (the
    verdict computes its own, with the metric's direction).
    """
    import tensorflow_model_analysis as tfma

    table: dict[tuple[str, str, str, str], float] = {}
    for metrics_for_slice in tfma.load_metrics(evaluation_uri):
        where = slice_name(metrics_for_slice.slice_key)
        for item in metrics_for_slice.metric_keys_and_values:
            key = item.key
            if key.is_diff or not item.value.HasField("double_value"):
                continue
            model = BASELINE if key.model_name == BASELINE else CANDIDATE
            table[(model, where, key.output_name, key.name)] = item.value.double_value.value
    return table

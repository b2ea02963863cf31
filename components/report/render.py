"""Pure logic of the report: privacy-safe tables and plots, rendered with jinja2. No TFX here.

Privacy: every table row and every plot element that stands for fewer than ``min_patients``
patients is suppressed; no record is ever written, only aggregates (curves, binned counts).
"""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUPPRESSED = "suppressed"


@dataclasses.dataclass(frozen=True)
class TaskPredictions:
    """Labels and predictions of one task on the evaluation split (kept in memory only)."""

    task: str
    task_type: str
    labels: np.ndarray
    predictions: np.ndarray


@dataclasses.dataclass(frozen=True)
class DataSummary:
    """What the run's statistics say about the data."""

    span: int | None
    rows_per_split: Mapping[str, int]
    missing_fraction: Mapping[str, float]
    anomalies: Sequence[str]


def slice_rows(
    table: Mapping[tuple[str, str, str, str], float],
    task: str,
    metrics: Sequence[str],
    min_patients: int,
) -> list[dict]:
    """One row per slice of ``task``: its count and metrics, candidate and baseline.

    Slices with fewer than ``min_patients`` examples keep only their name and the word
    "suppressed": no count, no metric.
    """
    slices = sorted(
        {s for (model, s, t, _m) in table if model == "candidate" and t == task},
        key=lambda s: (s != "Overall", s),
    )
    rows = []
    for slice_ in slices:
        count = table.get(("candidate", slice_, task, "example_count"), 0.0)
        if count < min_patients:
            rows.append({"slice": slice_, "suppressed": True})
            continue
        rows.append(
            {
                "slice": slice_,
                "suppressed": False,
                "count": int(count),
                "metrics": {
                    m: (
                        table.get(("candidate", slice_, task, m)),
                        table.get(("baseline", slice_, task, m)),
                    )
                    for m in metrics
                },
            }
        )
    return rows


def _figure_to_data_uri(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _new_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(4.2, 3.4))


def roc_plot(labels: np.ndarray, scores: np.ndarray) -> str:
    """The ROC curve (an aggregate: no point stands for one patient)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    false_positive, true_positive, _ = roc_curve(labels, scores)
    figure, axes = _new_figure()
    axes.plot(false_positive, true_positive, label=f"AUC {roc_auc_score(labels, scores):.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    axes.legend(loc="lower right")
    return _figure_to_data_uri(figure)


def calibration_bins(
    labels: np.ndarray, scores: np.ndarray, min_patients: int, bins: int = 10
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, patients) per quantile bin with enough patients.

    A small evaluation gets fewer, larger bins (at most one per ``min_patients`` patients).
    """
    bins = max(2, min(bins, len(scores) // min_patients))
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, bins + 1)))
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)
    result = []
    for b in range(len(edges) - 1):
        members = index == b
        if members.sum() >= min_patients:
            result.append(
                (float(scores[members].mean()), float(labels[members].mean()), int(members.sum()))
            )
    return result


def calibration_plot(labels: np.ndarray, scores: np.ndarray, min_patients: int) -> str:
    points = calibration_bins(labels, scores, min_patients)
    figure, axes = _new_figure()
    if points:
        predicted, observed, _ = zip(*points, strict=True)
        axes.plot(predicted, observed, marker="o")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    axes.set(
        xlabel="mean predicted risk", ylabel="observed rate", title="Calibration (quantile bins)"
    )
    return _figure_to_data_uri(figure)


def predicted_vs_actual_plot(labels: np.ndarray, predictions: np.ndarray, min_patients: int) -> str:
    """A binned density: cells with fewer than ``min_patients`` patients are not drawn."""
    figure, axes = _new_figure()
    upper = float(np.quantile(np.concatenate([labels, predictions]), 0.99))
    hexbin = axes.hexbin(
        labels,
        predictions,
        gridsize=20,
        mincnt=min_patients,
        extent=(0, upper, 0, upper),
        cmap="Blues",
    )
    figure.colorbar(hexbin, ax=axes, label="patients")
    axes.plot([0, upper], [0, upper], linestyle="--", color="grey", linewidth=0.8)
    axes.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    return _figure_to_data_uri(figure)


def residual_plot(labels: np.ndarray, predictions: np.ndarray, min_patients: int) -> str:
    """A histogram of residuals; bars with fewer than ``min_patients`` patients are dropped."""
    residuals = predictions - labels
    low, high = np.quantile(residuals, [0.01, 0.99])
    counts, edges = np.histogram(np.clip(residuals, low, high), bins=30)
    counts = np.where(counts >= min_patients, counts, 0)
    figure, axes = _new_figure()
    axes.bar(edges[:-1], counts, width=np.diff(edges), align="edge")
    axes.axvline(0, color="grey", linestyle="--", linewidth=0.8)
    axes.set(xlabel="predicted - actual", ylabel="patients", title="Residuals")
    return _figure_to_data_uri(figure)


def task_plots(predictions: TaskPredictions, min_patients: int) -> list[str]:
    """The plots of one task; none when the evaluation has too few patients to show any."""
    labels, scores = predictions.labels, predictions.predictions
    if len(labels) < min_patients:
        return []
    if predictions.task_type == "binary_classification":
        if len(np.unique(labels)) < 2 or min(labels.sum(), (1 - labels).sum()) < min_patients:
            return [calibration_plot(labels, scores, min_patients)]
        return [roc_plot(labels, scores), calibration_plot(labels, scores, min_patients)]
    return [
        predicted_vs_actual_plot(labels, scores, min_patients),
        residual_plot(labels, scores, min_patients),
    ]


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _render(template: str, **values) -> str:
    return _environment().get_template(template).render(fmt=_fmt, **values)


def render_report(
    *,
    pipeline_name: str,
    verdict: Mapping,
    tasks: Sequence[Mapping],
    data: DataSummary,
    min_patients: int,
) -> str:
    """The run's HTML page: verdict (failures first), each task, the data summary."""
    return _render(
        "report.html.j2",
        pipeline_name=pipeline_name,
        verdict=verdict,
        tasks=tasks,
        data=data,
        min_patients=min_patients,
    )


def render_model_card(
    *,
    pipeline_name: str,
    verdict: Mapping,
    tasks: Sequence[Mapping],
    data: DataSummary,
    min_patients: int,
    synthetic: bool,
    model_uri: str,
) -> str:
    """The model card (Markdown) written next to a pushed model."""
    return _render(
        "model_card.md.j2",
        pipeline_name=pipeline_name,
        verdict=verdict,
        tasks=tasks,
        data=data,
        min_patients=min_patients,
        synthetic=synthetic,
        model_uri=model_uri,
    )

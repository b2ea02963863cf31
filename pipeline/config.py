"""The one typed, validated configuration of the pipeline.

Tasks are declared here once. Everything downstream follows from the declaration: the model's
heads, losses and loss weights (``components/model.py``), the label transforms
(``components/preprocessing.py``), the TFMA metrics, slices and thresholds
(``pipeline/evaluation.py``) and the run summary (``local_runner.py``).

The configuration reaches Transform and Trainer as JSON through their ``custom_config``, so a
change to it also changes their cache keys.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

FeatureKind = Literal["numeric", "categorical", "binary"]
TaskType = Literal["binary_classification", "regression"]
LabelTransform = Literal["none", "log1p"]

FEATURE_KINDS: tuple[str, ...] = ("numeric", "categorical", "binary")
TASK_TYPES: tuple[str, ...] = ("binary_classification", "regression")
LABEL_TRANSFORMS: tuple[str, ...] = ("none", "log1p")
LOSSES: Mapping[str, tuple[str, ...]] = {
    "binary_classification": ("default", "binary_crossentropy", "focal"),
    "regression": ("default", "mse", "huber", "mae"),
}
SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "eval")

# The key under which create_pipeline hands the configuration to Transform and Trainer.
CUSTOM_CONFIG_KEY = "pipeline_config"

_PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range. The message names the field."""


@dataclasses.dataclass(frozen=True)
class MetricDefinition:
    """How one metric is computed by TFMA and which way is better.

    Attributes:
        name: the lower-case name TFMA reports and thresholds are keyed by.
        class_name: the TFMA or tf_keras metric class.
        keras_config: keyword arguments for a tf_keras metric class (``name`` is added).
        higher_is_better: the metric's direction, used for non-regression gates.
        task_types: the task types the metric makes sense for.
    """

    name: str
    class_name: str
    keras_config: Mapping[str, Any]
    higher_is_better: bool
    task_types: tuple[str, ...]
    is_tfma_metric: bool = False


_BINARY = ("binary_classification",)
_REGRESSION = ("regression",)

METRIC_CATALOGUE: Mapping[str, MetricDefinition] = {
    m.name: m
    for m in (
        MetricDefinition("auc", "AUC", {"num_thresholds": 1000}, True, _BINARY),
        MetricDefinition("pr_auc", "AUC", {"curve": "PR", "num_thresholds": 1000}, True, _BINARY),
        # The Brier score is the mean squared error of a probability against a 0/1 label.
        MetricDefinition("brier_score", "MeanSquaredError", {}, False, _BINARY),
        MetricDefinition("log_loss", "BinaryCrossentropy", {}, False, _BINARY),
        MetricDefinition("mean_label", "MeanLabel", {}, True, _BINARY + _REGRESSION, True),
        MetricDefinition(
            "mean_prediction", "MeanPrediction", {}, True, _BINARY + _REGRESSION, True
        ),
        # Mean prediction over mean label: 1.0 is perfectly calibrated on average.
        MetricDefinition("calibration", "Calibration", {}, True, _BINARY + _REGRESSION, True),
        MetricDefinition("mae", "MeanAbsoluteError", {}, False, _REGRESSION),
        MetricDefinition("rmse", "RootMeanSquaredError", {}, False, _REGRESSION),
        MetricDefinition("example_count", "ExampleCount", {}, True, _BINARY + _REGRESSION, True),
    )
}


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{field}: {message}")


@dataclasses.dataclass(frozen=True)
class Feature:
    """One model input read from a raw column.

    Attributes:
        name: the raw column name.
        kind: ``numeric`` (z-scored, missing values imputed with the mean and flagged),
            ``categorical`` (a string or integer-code column, turned into a vocabulary index)
            or ``binary`` (a 0/1 column; missing is imputed with 0 and flagged).
        log: numeric only: use ``log1p(max(x, 0))`` before scaling (skewed lab values).
        clip: numeric only: ``[low, high]`` limits applied before scaling.
        bucket_boundaries: numeric only: bucketize at these boundaries instead of scaling; the
            bucket index is embedded like a category.
    """

    name: str
    kind: FeatureKind = "numeric"
    log: bool = False
    clip: tuple[float, float] | None = None
    bucket_boundaries: tuple[float, ...] = ()


@dataclasses.dataclass(frozen=True)
class Gate:
    """A gate of one task on its overall evaluation slice.

    Attributes:
        metric: a metric of the task, from ``METRIC_CATALOGUE``; its direction (higher or lower
            is better) comes from there.
        lower_bound: the candidate must reach at least this value.
        upper_bound: the candidate must stay at or below this value.
        max_regression: the largest allowed worsening against the last blessed model, in the
            metric's own units (0.0: no worsening at all).
        max_relative_regression: the same as a fraction of the baseline's value (0.02: at most
            2% worse). With both tolerances set, both must hold. On the first run there is no
            baseline: non-regression gates report "no baseline" and only the bounds apply.
    """

    metric: str
    lower_bound: float | None = None
    upper_bound: float | None = None
    max_regression: float | None = None
    max_relative_regression: float | None = None


@dataclasses.dataclass(frozen=True)
class SliceGate:
    """A gate of one task on every slice of one configured slice column.

    Slices with fewer than ``PipelineConfig.min_slice_examples`` examples are reported as
    "not enough data": never as passing, and they do not block a push.

    Attributes:
        metric: a metric of the task.
        slice: the name of a configured ``Slice`` (``sex``, ``age_band``...).
        lower_bound: a floor every large-enough slice must reach (AUC >= 0.70 in every band).
        upper_bound: a ceiling every large-enough slice must stay under (MAE <= 3 days).
        max_gap: the largest allowed difference between the best and the worst large-enough
            slice (an AUC gap between sexes <= 0.05).
    """

    metric: str
    slice: str
    lower_bound: float | None = None
    upper_bound: float | None = None
    max_gap: float | None = None


@dataclasses.dataclass(frozen=True)
class Task:
    """One prediction the model learns, with its own head, loss, metrics and gates.

    Attributes:
        name: the output name of the head and of the serving signature.
        type: ``binary_classification`` (sigmoid head, binary cross-entropy) or ``regression``.
        label_column: the raw column holding the label.
        loss_weight: the weight of this task's loss in the total loss.
        metrics: metric names from ``METRIC_CATALOGUE`` that the Evaluator computes.
        gates: the gates every candidate must pass on this task's overall slice.
        slice_gates: the gates every candidate must pass on each slice of a slice column.
        label_transform: ``log1p`` trains a regression head on ``log1p(label)``; the serving
            signature returns ``expm1`` of it, in the label's own unit.
        loss: ``default`` (binary cross-entropy, or mean squared error), or one of
            ``LOSSES[type]``: ``focal`` for a rare binary outcome, ``huber`` or ``mae`` for a
            regression with outliers.
    """

    name: str
    type: TaskType
    label_column: str
    loss_weight: float = 1.0
    metrics: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    slice_gates: tuple[SliceGate, ...] = ()
    label_transform: LabelTransform = "none"
    loss: str = "default"


@dataclasses.dataclass(frozen=True)
class Slice:
    """A column the Evaluator slices by.

    Attributes:
        name: the slice feature name seen in TFMA (``sex``, ``age_band``).
        column: the raw column it comes from.
        boundaries: for a numeric column, the bucket boundaries; Transform then emits ``name``
            as a string band such as ``"40-64"``. Empty for a categorical column.
    """

    name: str
    column: str
    boundaries: tuple[float, ...] = ()

    def band_labels(self) -> tuple[str, ...]:
        """Readable band names, one per bucket: ``<40``, ``40-64``, ``65+`` for (40, 65)."""
        edges = [f"{b:g}" for b in self.boundaries]
        if not edges:
            return ()
        labels = [f"<{edges[0]}"]
        for low, high in zip(self.boundaries[:-1], self.boundaries[1:], strict=True):
            # Boundaries are lower-inclusive: [40, 65) reads "40-64" for integer ages.
            upper = high - 1 if float(high).is_integer() and float(low).is_integer() else high
            labels.append(f"{low:g}-{upper:g}")
        labels.append(f"{edges[-1]}+")
        return tuple(labels)


@dataclasses.dataclass(frozen=True)
class Training:
    """Training parameters of the multi-task model.

    Attributes:
        epochs: the most passes over the training split; early stopping may end sooner.
        batch_size: examples per step.
        learning_rate: Adam's learning rate.
        hidden_units: widths of the shared trunk's dense layers.
        head_units: width of each task's own hidden layer (0: the head is one output layer).
        dropout: dropout rate after each trunk layer.
        early_stopping_patience: epochs without improvement of the validation loss before
            training stops and the best weights are restored.
        categorical_embedding_dim: embedding width of each categorical feature.
        seed: the random seed of weight initialisation and shuffling.
        warm_start: start from the weights of the last blessed model (the Trainer's
            ``base_model``) instead of a fresh initialisation. Off by default: a cold start
            makes every model reproducible from its span alone, and a rerun on unchanged data
            stays a pure cache hit (with warm start the Trainer's input changes once a model is
            blessed, so the first rerun after a push trains again).
        loss_weighting: how the tasks' losses are combined. ``static``: the sum of each
            task's loss times its ``loss_weight``. ``uncertainty``: each task's weight is
            learned with the model (Kendall, Gal and Cipolla, 2018: the loss ``L`` of a task
            becomes ``exp(-s) * L + s`` with a trainable ``s`` per task), on top of
            ``loss_weight``. benchmarks/README.md compares the two on the bundled generator.
        cache_in_memory: keep the transformed training and validation batches in memory after
            the first epoch, so that later epochs do not read and parse the TFRecords again
            (at 1M rows each later epoch took 9-11 s instead of 11.5-16 s). The batches are
            formed once from the shuffled first pass; later epochs shuffle their order. Costs
            about 100 bytes per example of the default dataset (70 MB at 700k training rows);
            turn off when the splits do not fit in the Trainer's memory.
    """

    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 0.003
    hidden_units: tuple[int, ...] = (64, 32)
    head_units: int = 16
    dropout: float = 0.1
    early_stopping_patience: int = 3
    categorical_embedding_dim: int = 4
    seed: int = 42
    warm_start: bool = False
    loss_weighting: str = "static"
    cache_in_memory: bool = True


LOSS_WEIGHTINGS = ("static", "uncertainty")


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Everything that describes the dataset, the tasks and the training of one pipeline.

    Raises:
        ConfigError: on construction, when a field is missing, unknown, duplicated or out of
            range. The message names the field.
    """

    pipeline_name: str
    features: tuple[Feature, ...]
    tasks: tuple[Task, ...]
    slices: tuple[Slice, ...] = ()
    id_column: str | None = None
    # Slices with fewer evaluation examples are "not enough data" for slice gates.
    min_slice_examples: int = 30
    # Privacy: the report and the model card suppress slices with fewer patients.
    min_report_patients: int = 20
    # The model card warns that the metrics say nothing about real patients.
    synthetic_data: bool = False
    training: Training = dataclasses.field(default_factory=Training)
    # The ExampleGen pattern below the data root; {SPAN} picks the latest span.
    span_pattern: str = "span-{SPAN}/*.csv"
    # Where the span folders and the curated schema are; relative paths in a config file are
    # relative to that file.
    data_root: str = ""
    schema_path: str = ""
    # Hash buckets of each split: train (fitting), validation (early stopping), eval (the
    # verdict). Small cohorts can give eval a larger share so each class has enough examples.
    splits: tuple[tuple[str, int], ...] = (("train", 14), ("validation", 2), ("eval", 4))

    def __post_init__(self) -> None:
        self._validate()

    # -- validation -------------------------------------------------------------------------
    def _validate(self) -> None:
        _require(
            bool(_PIPELINE_NAME.match(self.pipeline_name)),
            "pipeline_name",
            f"{self.pipeline_name!r} must match [a-z0-9][a-z0-9-]{{0,127}} (Kubeflow V2 rule)",
        )
        _require(len(self.features) > 0, "features", "at least one feature is required")
        _require(len(self.tasks) > 0, "tasks", "at least one task is required")

        feature_names = [f.name for f in self.features]
        _no_duplicates(feature_names, "features")
        for i, feature in enumerate(self.features):
            field = f"features[{i}] ({feature.name})"
            _require(bool(_IDENTIFIER.match(feature.name)), field, "name is not an identifier")
            _require(
                feature.kind in FEATURE_KINDS,
                f"{field}.kind",
                f"unknown kind {feature.kind!r}; expected one of {FEATURE_KINDS}",
            )
            numeric_only = feature.log or feature.clip is not None or feature.bucket_boundaries
            _require(
                not numeric_only or feature.kind == "numeric",
                field,
                "log, clip and bucket_boundaries apply to numeric features only",
            )
            if feature.clip is not None:
                _require(
                    len(feature.clip) == 2 and feature.clip[0] < feature.clip[1],
                    f"{field}.clip",
                    f"must be [low, high] with low < high, got {list(feature.clip)}",
                )
            _require(
                list(feature.bucket_boundaries) == sorted(set(feature.bucket_boundaries)),
                f"{field}.bucket_boundaries",
                "must be strictly increasing",
            )

        _no_duplicates([t.name for t in self.tasks], "tasks")
        _no_duplicates([t.label_column for t in self.tasks], "tasks.label_column")
        for i, task in enumerate(self.tasks):
            self._validate_task(i, task, set(feature_names))

        _no_duplicates([s.name for s in self.slices], "slices")
        label_columns = {t.label_column for t in self.tasks}
        for i, slice_ in enumerate(self.slices):
            field = f"slices[{i}] ({slice_.name})"
            _require(
                slice_.column in feature_names,
                f"{field}.column",
                f"unknown column {slice_.column!r}; slices must use a feature column",
            )
            _require(
                slice_.column not in label_columns, f"{field}.column", "cannot slice by a label"
            )
            _require(
                list(slice_.boundaries) == sorted(set(slice_.boundaries)),
                f"{field}.boundaries",
                "must be strictly increasing",
            )
            if slice_.boundaries:
                _require(
                    slice_.name not in feature_names,
                    f"{field}.name",
                    "a bucketed slice needs a name of its own, not a feature's",
                )
            else:
                _require(
                    slice_.name == slice_.column,
                    f"{field}.name",
                    "an unbucketed slice is named after its column",
                )

        if self.id_column is not None:
            _require(
                self.id_column not in feature_names and self.id_column not in label_columns,
                "id_column",
                f"{self.id_column!r} is also a feature or a label",
            )

        _require(
            [name for name, _ in self.splits] == list(SPLIT_NAMES)
            and all(int(buckets) >= 1 for _, buckets in self.splits),
            "splits",
            f"must give train, validation and eval (in that order) at least 1 hash bucket each, "
            f"got {[list(split) for split in self.splits]}",
        )
        _require(
            self.min_report_patients >= 1,
            "min_report_patients",
            f"must be at least 1, got {self.min_report_patients}",
        )
        _require(
            self.min_slice_examples >= 1,
            "min_slice_examples",
            f"must be at least 1, got {self.min_slice_examples}",
        )

        t = self.training
        _require(t.epochs >= 1, "training.epochs", f"must be at least 1, got {t.epochs}")
        _require(
            t.batch_size >= 1, "training.batch_size", f"must be at least 1, got {t.batch_size}"
        )
        _require(
            0 < t.learning_rate < 1,
            "training.learning_rate",
            f"must be in (0, 1), got {t.learning_rate}",
        )
        _require(
            len(t.hidden_units) > 0 and all(u >= 1 for u in t.hidden_units),
            "training.hidden_units",
            "needs at least one layer, each of width >= 1",
        )
        _require(t.head_units >= 0, "training.head_units", "must be >= 0")
        _require(0 <= t.dropout < 1, "training.dropout", f"must be in [0, 1), got {t.dropout}")
        _require(t.early_stopping_patience >= 0, "training.early_stopping_patience", "must be >= 0")
        _require(
            t.categorical_embedding_dim >= 1, "training.categorical_embedding_dim", "must be >= 1"
        )
        for switch in ("warm_start", "cache_in_memory"):
            value = getattr(t, switch)
            _require(
                isinstance(value, bool),
                f"training.{switch}",
                f"must be true or false, got {value!r}",
            )
        _require(
            t.loss_weighting in LOSS_WEIGHTINGS,
            "training.loss_weighting",
            f"must be one of {', '.join(LOSS_WEIGHTINGS)}, got {t.loss_weighting!r}",
        )

    def _validate_task(self, i: int, task: Task, feature_names: set[str]) -> None:
        field = f"tasks[{i}] ({task.name})"
        _require(bool(_IDENTIFIER.match(task.name)), f"{field}.name", "is not an identifier")
        _require(
            task.type in TASK_TYPES,
            f"{field}.type",
            f"unknown task type {task.type!r}; expected one of {TASK_TYPES}",
        )
        _require(
            task.label_column not in feature_names,
            f"{field}.label_column",
            f"{task.label_column!r} is also listed as a feature",
        )
        _require(
            task.loss_weight > 0 and math.isfinite(task.loss_weight),
            f"{field}.loss_weight",
            f"must be a positive number, got {task.loss_weight}",
        )
        _require(
            task.label_transform in LABEL_TRANSFORMS,
            f"{field}.label_transform",
            f"unknown transform {task.label_transform!r}; expected one of {LABEL_TRANSFORMS}",
        )
        _require(
            task.type not in TASK_TYPES or task.loss in LOSSES[task.type],
            f"{field}.loss",
            f"unknown loss {task.loss!r} for a {task.type} task; "
            f"expected one of {LOSSES.get(task.type, ())}",
        )
        _require(
            task.label_transform == "none" or task.type == "regression",
            f"{field}.label_transform",
            "only regression labels can be transformed",
        )
        _require(len(task.metrics) > 0, f"{field}.metrics", "at least one metric is required")
        _no_duplicates(list(task.metrics), f"{field}.metrics")
        for metric in task.metrics:
            _require(
                metric in METRIC_CATALOGUE,
                f"{field}.metrics",
                f"unknown metric {metric!r}; known: {sorted(METRIC_CATALOGUE)}",
            )
            _require(
                task.type in METRIC_CATALOGUE[metric].task_types,
                f"{field}.metrics",
                f"metric {metric!r} does not apply to a {task.type} task",
            )
        _require(
            len(task.gates) > 0,
            f"{field}.gates",
            "every task needs at least one gate, or it could never block a push",
        )
        for j, gate in enumerate(task.gates):
            gate_field = f"{field}.gates[{j}]"
            _require(
                gate.metric in task.metrics,
                f"{gate_field}.metric",
                f"{gate.metric!r} is not one of the task's metrics {list(task.metrics)}",
            )
            _require(
                gate.lower_bound is not None
                or gate.upper_bound is not None
                or gate.max_regression is not None
                or gate.max_relative_regression is not None,
                gate_field,
                "needs a lower_bound, an upper_bound, a max_regression or a "
                "max_relative_regression",
            )
            for tolerance in ("max_regression", "max_relative_regression"):
                value = getattr(gate, tolerance)
                _require(
                    value is None or value >= 0,
                    f"{gate_field}.{tolerance}",
                    f"must be >= 0, got {value}",
                )
            if gate.lower_bound is not None and gate.upper_bound is not None:
                _require(
                    gate.lower_bound <= gate.upper_bound,
                    gate_field,
                    "lower_bound is above upper_bound",
                )

        slice_names = [s.name for s in self.slices]
        for j, gate in enumerate(task.slice_gates):
            gate_field = f"{field}.slice_gates[{j}]"
            _require(
                gate.metric in task.metrics,
                f"{gate_field}.metric",
                f"{gate.metric!r} is not one of the task's metrics {list(task.metrics)}",
            )
            _require(
                gate.slice in slice_names,
                f"{gate_field}.slice",
                f"unknown slice {gate.slice!r}; configured slices: {slice_names}",
            )
            _require(
                gate.lower_bound is not None
                or gate.upper_bound is not None
                or gate.max_gap is not None,
                gate_field,
                "needs a lower_bound, an upper_bound or a max_gap",
            )
            _require(
                gate.max_gap is None or gate.max_gap >= 0,
                f"{gate_field}.max_gap",
                f"must be >= 0, got {gate.max_gap}",
            )

    # -- lookups ----------------------------------------------------------------------------
    def task(self, name: str) -> Task:
        """Returns the task called ``name``; raises ``KeyError`` naming it if there is none."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"no task named {name!r}; tasks: {[t.name for t in self.tasks]}")

    @property
    def label_columns(self) -> tuple[str, ...]:
        return tuple(t.label_column for t in self.tasks)

    def features_of_kind(self, kind: str) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if f.kind == kind)

    # -- (de)serialisation, for Transform's and Trainer's custom_config ---------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def for_components(self) -> str:
        """The JSON handed to components: without this machine's paths, so that a component's
        cache key depends on what it computes, not on where the project is checked out."""
        return dataclasses.replace(self, data_root="", schema_path="").to_json()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineConfig:
        """Builds a validated configuration from plain data (as ``to_dict`` writes it).

        Raises:
            ConfigError: on unknown or missing fields, or invalid values.
        """
        return _build(cls, data, "config")

    def replace(self, **changes: Any) -> PipelineConfig:
        """Returns a validated copy with some top-level fields changed."""
        return dataclasses.replace(self, **changes)


def _no_duplicates(names: Sequence[str], field: str) -> None:
    seen: set[str] = set()
    for name in names:
        _require(name not in seen, field, f"duplicate name {name!r}")
        seen.add(name)


# Nested dataclass fields and the classes their items are built from.
_NESTED = {
    (PipelineConfig, "features"): Feature,
    (PipelineConfig, "tasks"): Task,
    (PipelineConfig, "slices"): Slice,
    (PipelineConfig, "training"): Training,
    (Task, "gates"): Gate,
    (Task, "slice_gates"): SliceGate,
}


def _build(cls: type, data: Mapping[str, Any], field: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{field}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    _require(not unknown, field, f"unknown field(s) {unknown}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        nested = _NESTED.get((cls, name))
        if nested is Training:
            value = _build(Training, value, f"{field}.{name}")
        elif nested is not None:
            value = tuple(
                _build(nested, item, f"{field}.{name}[{i}]") for i, item in enumerate(value)
            )
        elif cls is PipelineConfig and name == "splits" and isinstance(value, Mapping):
            # A mapping's order does not matter: known splits in their order, others after.
            ordered = [k for k in SPLIT_NAMES if k in value] + [
                k for k in value if k not in SPLIT_NAMES
            ]
            value = tuple((str(k), value[k]) for k in ordered)
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as error:  # a required field is missing
        raise ConfigError(f"{field}: {error}") from error


def config_from_custom_config(custom_config: Mapping[str, Any] | None) -> PipelineConfig:
    """Reads the configuration that ``create_pipeline`` put in a component's ``custom_config``.

    Raises:
        ConfigError: if ``custom_config`` carries no configuration, or an invalid one.
    """
    if not custom_config or CUSTOM_CONFIG_KEY not in custom_config:
        raise ConfigError(
            f"custom_config must carry the pipeline configuration under {CUSTOM_CONFIG_KEY!r}; "
            "create_pipeline(...) passes it to Transform and Trainer"
        )
    raw = custom_config[CUSTOM_CONFIG_KEY]
    return PipelineConfig.from_dict(json.loads(raw) if isinstance(raw, str) else raw)

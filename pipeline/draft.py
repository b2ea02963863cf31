"""Drafts a dataset's config file and schema from a CSV, for a person to curate.

TFDV infers the column types, presence and category vocabularies; the observed numeric ranges
become draft domains. You name the label columns and their task types; everything else becomes
a feature (string columns categorical, 0/1 integers binary, the rest numeric), and string
columns with few values become slices. Then curate both files (see README, "Use your own data").

Examples:
  uv run python -m pipeline.draft --csv data/icu/span-1/cohort.csv \\
      --label sepsis:binary_classification --label icu_days:regression \\
      --id-column stay_id --output-dir configs/my_icu
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pipeline.config import (  # noqa: E402
    TASK_TYPES,
    ConfigError,
    Feature,
    Gate,
    PipelineConfig,
    Slice,
    Task,
)

MAX_SLICE_VALUES = 10
DEFAULT_METRICS = {
    "binary_classification": ("auc", "pr_auc", "brier_score", "calibration", "example_count"),
    "regression": ("mae", "rmse", "mean_label", "mean_prediction", "example_count"),
}


def _parse_label(text: str) -> tuple[str, str]:
    name, _, task_type = text.partition(":")
    if not name or task_type not in TASK_TYPES:
        raise ConfigError(
            f"--label {text!r}: expected COLUMN:TYPE with TYPE one of {list(TASK_TYPES)}"
        )
    return name, task_type


def draft(
    csv_path: str | Path,
    labels: dict[str, str],
    id_column: str | None,
    pipeline_name: str,
) -> tuple[Any, PipelineConfig]:
    """Infers a schema from ``csv_path`` and drafts a configuration around it.

    Args:
        csv_path: one CSV file of the dataset.
        labels: label column -> task type.
        id_column: a column to carry through, never a feature (optional).
        pipeline_name: the name of the pipeline.

    Returns:
        ``(schema, config)``; the config's paths are left for the caller.

    Raises:
        ConfigError: when a label or the id column is not in the CSV.
    """
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    statistics = tfdv.generate_statistics_from_csv(str(csv_path))
    schema = tfdv.infer_schema(statistics, infer_feature_shape=False)
    dataset = statistics.datasets[0]
    by_name = {f.path.step[0]: f for f in dataset.features}
    for column in [*labels, *([id_column] if id_column else [])]:
        if column not in by_name:
            raise ConfigError(f"column {column!r} is not in {csv_path}; columns: {sorted(by_name)}")

    schema.default_environment.extend(["TRAINING", "SERVING"])
    features, slices = [], []
    for feature in schema.feature:
        stats = by_name[feature.name]
        common = (
            stats.num_stats.common_stats
            if stats.HasField("num_stats")
            else (stats.string_stats.common_stats)
        )
        has_missing = common.num_missing > 0
        if feature.name in labels:
            feature.ClearField("value_count")
            feature.presence.min_fraction = 1.0
            feature.shape.dim.add().size = 1
            feature.not_in_environment.append("SERVING")
            continue
        # No fixed shape: Transform imputes, and a request may leave an optional value out.
        feature.value_count.min = 0 if has_missing else 1
        feature.value_count.max = 1
        if has_missing:
            feature.presence.min_fraction = 0.8  # a draft floor: set what your data promises
        if stats.HasField("num_stats"):
            low, high = stats.num_stats.min, stats.num_stats.max
            if feature.type == schema_pb2.INT:
                feature.int_domain.min, feature.int_domain.max = int(low), int(high)
            else:
                feature.float_domain.min, feature.float_domain.max = float(low), float(high)
        if feature.name == id_column:
            continue
        if feature.type == schema_pb2.BYTES:
            features.append(Feature(feature.name, "categorical"))
            if stats.string_stats.unique <= MAX_SLICE_VALUES:
                slices.append(Slice(feature.name, feature.name))
        elif (
            feature.type == schema_pb2.INT and stats.num_stats.min == 0 and stats.num_stats.max == 1
        ):
            features.append(Feature(feature.name, "binary"))
        else:
            features.append(Feature(feature.name, "numeric"))

    tasks = []
    for column, task_type in labels.items():
        if task_type == "binary_classification":
            gates = (Gate("auc", lower_bound=0.6, max_regression=0.02),)
        else:
            spread = by_name[column].num_stats.std_dev or 1.0
            gates = (Gate("mae", upper_bound=round(spread, 3), max_regression=0.05 * spread),)
        tasks.append(
            Task(
                name=column,
                type=task_type,
                label_column=column,
                metrics=DEFAULT_METRICS[task_type],
                gates=gates,
            )
        )
    config = PipelineConfig(
        pipeline_name=pipeline_name,
        features=tuple(features),
        tasks=tuple(tasks),
        slices=tuple(slices),
        id_column=id_column,
    )
    return schema, config


def _yaml_config(config: PipelineConfig) -> dict[str, Any]:
    data = config.to_dict()
    data["splits"] = dict(config.splits)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.draft",
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[6:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--csv", required=True, help="one CSV file of the dataset")
    parser.add_argument(
        "--label", action="append", required=True, help="COLUMN:TYPE, once per task"
    )
    parser.add_argument("--id-column", help="a column carried through, never a feature")
    parser.add_argument("--name", default="my-clinical-dataset", help="pipeline name")
    parser.add_argument("--output-dir", required=True, help="where config.yaml and schema go")
    args = parser.parse_args(argv)

    import tensorflow_data_validation as tfdv
    import yaml

    try:
        labels = dict(_parse_label(text) for text in args.label)
        schema, config = draft(args.csv, labels, args.id_column, args.name)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    tfdv.write_schema_text(schema, str(output / "schema.pbtxt"))
    data = _yaml_config(config)
    data["data_root"] = str(Path(args.csv).resolve().parent.parent)
    data["schema_path"] = "schema.pbtxt"
    header = (
        "# Drafted by `python -m pipeline.draft`: curate before use (README, 'Use your own "
        "data').\n# Check each feature's kind, add preprocessing (log, clip, bucket_boundaries),"
        " set the\n# gates to what your clinicians require, and pick the slices that matter.\n"
    )
    (output / "config.yaml").write_text(header + yaml.safe_dump(data, sort_keys=False))
    print(f"Drafted {output / 'config.yaml'} and {output / 'schema.pbtxt'}; curate both.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

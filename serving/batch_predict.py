"""Scores a CSV of patients with the latest pushed model (or a given version).

Every row is checked against the curated schema first (types, ranges, categories). A bad row
is reported by its line number and either skipped or, with ``--on-bad-row reject``, the whole
file is refused: never silently mis-scored. The output has the id column and one column per
task, in the label's unit.

Examples:
  uv run python -m serving.batch_predict --input patients.csv --output scores.csv
  uv run python -m serving.batch_predict --input cohort.csv --output scores.csv \\
      --config configs/icu/icu.yaml --serving-dir outputs/icu/serving_model --on-bad-row reject

Exit codes: 0 scored (bad rows, if any, skipped and listed); 3 bad rows with --on-bad-row
reject (nothing written); 2 no model, or bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pipeline.config import ConfigError, PipelineConfig  # noqa: E402
from pipeline.config_file import load_config, load_schema  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG_FILE, DEFAULT_OUTPUT_ROOT  # noqa: E402

BATCH = 1024


@dataclasses.dataclass(frozen=True)
class BadRow:
    line: int  # in the CSV file, header = line 1
    problem: str


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def check_row(row: Mapping[str, Any], config: PipelineConfig, schema) -> str | None:
    """The first problem of one row against the schema, or ``None`` if it can be scored."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    by_name = {f.name: f for f in schema.feature}
    domains = {d.name: set(d.value) for d in schema.string_domain}
    for feature in config.features:
        spec = by_name[feature.name]
        value = row.get(feature.name)
        if _missing(value):
            if spec.presence.min_fraction >= 1.0:
                return f"column {feature.name!r}: required value is missing"
            continue
        if spec.type in (schema_pb2.INT, schema_pb2.FLOAT):
            try:
                number = float(value)
            except (TypeError, ValueError):
                return f"column {feature.name!r}: {value!r} is not a number"
            if spec.type == schema_pb2.INT and not number.is_integer():
                return f"column {feature.name!r}: {value!r} is not a whole number"
            domain = spec.int_domain if spec.HasField("int_domain") else spec.float_domain
            has_domain = spec.HasField("int_domain") or spec.HasField("float_domain")
            if has_domain and (
                (domain.HasField("min") and number < domain.min)
                or (domain.HasField("max") and number > domain.max)
            ):
                return (
                    f"column {feature.name!r}: {value} is outside [{domain.min:g}, {domain.max:g}]"
                )
        elif spec.domain and str(value) not in domains.get(spec.domain, {str(value)}):
            return f"column {feature.name!r}: {value!r} is not a known category"
    return None


def latest_model(serving_dir: str | Path, version: str | None) -> Path:
    """The pushed version to use: ``version``, or the newest.

    Raises:
        FileNotFoundError: if there is no such version.
    """
    from pipeline.run_summary import pushed_versions

    versions = pushed_versions(serving_dir)
    if version is None:
        if not versions:
            raise FileNotFoundError(f"no pushed model under {serving_dir}")
        version = versions[-1]
    if version not in versions:
        raise FileNotFoundError(f"no version {version} under {serving_dir}; have {versions}")
    return Path(serving_dir) / version


def score_file(
    input_csv: str | Path,
    output_csv: str | Path,
    config: PipelineConfig,
    model_dir: str | Path,
    on_bad_row: str = "skip",
) -> tuple[int, list[BadRow]]:
    """Scores ``input_csv`` into ``output_csv``; returns (rows scored, bad rows).

    With ``on_bad_row="reject"`` and any bad row, nothing is written.
    """
    import pandas as pd
    import tensorflow as tf

    from components.examples import records_to_serialized_examples

    schema = load_schema(config.schema_path)
    frame = pd.read_csv(input_csv, dtype=str, keep_default_na=False)
    missing_columns = [f.name for f in config.features if f.name not in frame.columns]
    bad: list[BadRow] = []
    if missing_columns:
        bad = [BadRow(1, f"missing column(s) {missing_columns}")]
        return 0, bad
    good_rows = []
    for index, row in enumerate(frame.to_dict("records")):
        problem = check_row(row, config, schema)
        if problem:
            bad.append(BadRow(index + 2, problem))
        else:
            good_rows.append(row)
    if bad and on_bad_row == "reject":
        return 0, bad

    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    columns: dict[str, list[float]] = {t.name: [] for t in config.tasks}
    for start in range(0, len(good_rows), BATCH):
        chunk = good_rows[start : start + BATCH]
        outputs = serve(examples=tf.constant(records_to_serialized_examples(chunk, schema)))
        for task in config.tasks:
            columns[task.name].extend(outputs[task.name].numpy().reshape(-1).tolist())
    result = pd.DataFrame(columns)
    if config.id_column and config.id_column in frame.columns:
        result.insert(0, config.id_column, [r[config.id_column] for r in good_rows])
    result.to_csv(output_csv, index=False, float_format="%.6g")
    return len(good_rows), bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.batch_predict",
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[6:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, help="CSV with the feature columns")
    parser.add_argument("--output", required=True, help="CSV to write")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG_FILE))
    parser.add_argument("--serving-dir", default=str(DEFAULT_OUTPUT_ROOT / "serving_model"))
    parser.add_argument("--version", help="a pushed version (default: the newest)")
    parser.add_argument("--on-bad-row", choices=("skip", "reject"), default="skip")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        model_dir = latest_model(args.serving_dir, args.version)
    except (ConfigError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scored, bad = score_file(args.input, args.output, config, model_dir, args.on_bad_row)
    for row in bad:
        print(f"line {row.line}: {row.problem}", file=sys.stderr)
    if bad and (args.on_bad_row == "reject" or scored == 0):
        print(f"rejected: {len(bad)} bad row(s); nothing written", file=sys.stderr)
        return 3
    print(
        f"scored {scored} row(s) with {model_dir} into {args.output}"
        + (f"; skipped {len(bad)} bad row(s)" if bad else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

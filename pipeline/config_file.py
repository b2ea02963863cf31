"""Loading a dataset's configuration file (YAML) and checking it against its curated schema."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

from pipeline.config import ConfigError, PipelineConfig

_INT, _FLOAT, _BYTES = schema_pb2.INT, schema_pb2.FLOAT, schema_pb2.BYTES
_TYPE_NAMES = {_INT: "INT", _FLOAT: "FLOAT", _BYTES: "BYTES"}
# Which schema types each feature kind and task type can read.
_FEATURE_TYPES = {
    "numeric": (_INT, _FLOAT),
    "categorical": (_BYTES, _INT),
    "binary": (_INT,),
}
_LABEL_TYPES = {"binary_classification": (_INT,), "regression": (_INT, _FLOAT)}


def load_schema(path: str | Path) -> schema_pb2.Schema:
    """Reads a text-format ``schema.pbtxt``."""
    schema = schema_pb2.Schema()
    text_format.Parse(Path(path).read_text(), schema)
    return schema


def check_against_schema(config: PipelineConfig, schema: schema_pb2.Schema) -> None:
    """Refuses a configuration whose columns the schema does not have, or types it cannot read.

    Raises:
        ConfigError: naming the field and the column.
    """
    types = {feature.name: feature.type for feature in schema.feature}

    def check(field: str, column: str, allowed: tuple[int, ...]) -> None:
        if column not in types:
            raise ConfigError(f"{field}: column {column!r} is not in the schema")
        if types[column] not in allowed:
            expected = " or ".join(_TYPE_NAMES[t] for t in allowed)
            raise ConfigError(
                f"{field}: column {column!r} is {_TYPE_NAMES.get(types[column], '?')} in the "
                f"schema; expected {expected}"
            )

    for i, feature in enumerate(config.features):
        check(f"features[{i}] ({feature.name})", feature.name, _FEATURE_TYPES[feature.kind])
    for i, task in enumerate(config.tasks):
        check(f"tasks[{i}] ({task.name}).label_column", task.label_column, _LABEL_TYPES[task.type])
    if config.id_column:
        check("id_column", config.id_column, (_BYTES, _INT))


def load_config(path: str | Path) -> PipelineConfig:
    """Reads, validates and checks a dataset's configuration file.

    Relative ``data_root`` and ``schema_path`` are resolved against the file's folder; the
    configuration is checked against that schema.

    Raises:
        FileNotFoundError: if the file or its schema does not exist.
        ConfigError: naming the first invalid field.
    """
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    config = PipelineConfig.from_dict(data)
    resolved = {}
    for field in ("data_root", "schema_path"):
        value = getattr(config, field)
        if value and "://" not in value and not Path(value).is_absolute():
            resolved[field] = str((path.parent / value).resolve())
    config = dataclasses.replace(config, **resolved)
    if not config.schema_path:
        raise ConfigError(f"schema_path: {path} must name the curated schema")
    schema_file = Path(config.schema_path)
    if not schema_file.is_file():
        raise FileNotFoundError(f"schema_path: {schema_file} does not exist")
    check_against_schema(config, load_schema(schema_file))
    return config

"""Raw records to serialized ``tf.Example``s typed by the curated schema (for serving and tests)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def record_to_example(record: Mapping[str, Any], schema: schema_pb2.Schema) -> tf.train.Example:
    """Builds a ``tf.Example`` from one raw record, typed as the schema says.

    Columns the schema does not know are ignored; missing values (``None``, NaN, ``""``) leave
    the feature out, as an empty CSV cell does.

    Raises:
        ValueError: if a value cannot be converted to its schema type; names the column.
    """
    example = tf.train.Example()
    for feature in schema.feature:
        value = record.get(feature.name)
        if _is_missing(value):
            continue
        target = example.features.feature[feature.name]
        try:
            if feature.type == schema_pb2.INT:
                number = float(value)
                if not number.is_integer():
                    raise ValueError(f"{value!r} is not a whole number")
                target.int64_list.value.append(int(number))
            elif feature.type == schema_pb2.FLOAT:
                target.float_list.value.append(float(value))
            else:
                target.bytes_list.value.append(str(value).encode())
        except (TypeError, ValueError) as error:
            raise ValueError(f"column {feature.name!r}: {error}") from error
    return example


def records_to_serialized_examples(
    records: Iterable[Mapping[str, Any]], schema: schema_pb2.Schema
) -> list[bytes]:
    """Serializes many records with ``record_to_example``."""
    return [record_to_example(r, schema).SerializeToString() for r in records]

"""The Transform step: one ``preprocessing_fn`` applied identically in training and serving.

* numeric features: optionally clipped and ``log1p``-transformed, then z-scored with the mean
  and variance of the observed training values; missing values become the mean (0 after
  scaling) and are flagged in a 0/1 indicator. A numeric feature with bucket boundaries is
  bucketized instead (missing values get a bucket of their own) and embedded like a category;
* binary features: missing is replaced by 0 and flagged;
* categorical features (strings or integer codes): a vocabulary is built (with one
  out-of-vocabulary bucket);
* bucketed slices (for example ``age_band``): a readable string band, used by the Evaluator
  for slicing and ignored by the model;
* labels: cast to float, and ``log1p`` for regression tasks that ask for it.

The configuration comes as JSON in ``custom_config["pipeline_config"]``.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow as tf  # noqa: E402
import tensorflow_transform as tft  # noqa: E402

from components.feature_names import (  # noqa: E402
    missing_indicator_name,
    transformed_label_name,
    transformed_name,
    vocabulary_name,
)
from pipeline.config import config_from_custom_config  # noqa: E402

MISSING_BAND = "unknown"


def _to_dense_column(x: tf.Tensor | tf.SparseTensor, default: Any) -> tf.Tensor:
    """Turns a [batch, 0 or 1] sparse column, or a [batch, 1] dense one, into [batch, 1]."""
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default_value=default
        )
    return tf.reshape(x, [-1, 1])


def _as_float(x: tf.Tensor | tf.SparseTensor) -> tf.Tensor | tf.SparseTensor:
    if isinstance(x, tf.SparseTensor):
        return tf.SparseTensor(x.indices, tf.cast(x.values, tf.float32), x.dense_shape)
    return tf.cast(x, tf.float32)


def _map_values(x: tf.Tensor | tf.SparseTensor, fn) -> tf.Tensor | tf.SparseTensor:
    if isinstance(x, tf.SparseTensor):
        return tf.SparseTensor(x.indices, fn(x.values), x.dense_shape)
    return fn(x)


def _as_string(x: tf.Tensor | tf.SparseTensor) -> tf.Tensor | tf.SparseTensor:
    if x.dtype == tf.string:
        return x
    return _map_values(x, tf.strings.as_string)


def _numeric_values(x: tf.Tensor | tf.SparseTensor, feature) -> tf.Tensor | tf.SparseTensor:
    """The feature's observed values as floats, clipped and log-transformed as configured."""

    def transform(values: tf.Tensor) -> tf.Tensor:
        values = tf.cast(values, tf.float32)
        if feature.clip is not None:
            values = tf.clip_by_value(values, feature.clip[0], feature.clip[1])
        if feature.log:
            values = tf.math.log1p(tf.maximum(values, 0.0))
        return values

    return _map_values(x, transform)


def _impute(x: tf.Tensor | tf.SparseTensor, fill: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Returns ``(filled, missing)``: x with missing values replaced by ``fill``, and a 0/1 flag."""
    dense = _to_dense_column(_as_float(x), default=float("nan"))
    missing = tf.math.is_nan(dense)
    return tf.where(missing, fill, dense), tf.cast(missing, tf.float32)


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    """Transforms raw features and labels into the model's inputs and targets.

    Args:
        inputs: raw tensors keyed by column, as parsed with the curated schema.
        custom_config: carries the pipeline configuration (see ``config_from_custom_config``).

    Returns:
        Transformed tensors of shape [batch, 1], keyed by ``transformed_name``,
        ``missing_indicator_name`` and ``transformed_label_name``, plus one string feature per
        bucketed slice.
    """
    config = config_from_custom_config(custom_config)
    outputs: dict[str, Any] = {}

    for feature in config.features:
        x = inputs[feature.name]
        if feature.kind == "numeric" and feature.bucket_boundaries:
            values = _to_dense_column(_numeric_values(x, feature), default=float("nan"))
            bucket = tf.raw_ops.Bucketize(
                input=values, boundaries=[float(b) for b in feature.bucket_boundaries]
            )
            # Missing values get a bucket of their own, after the last boundary's.
            missing_bucket = len(feature.bucket_boundaries) + 1
            outputs[transformed_name(feature.name)] = tf.cast(
                tf.where(tf.math.is_nan(values), missing_bucket, bucket), tf.int64
            )
        elif feature.kind == "numeric":
            # Mean and variance of the observed values, both in TFT's first analysis phase: a
            # z-score of mean-imputed values would nest two analyzers, and TFT 1.16's
            # deep-copy of a second phase fails under Beam 2.7x (see README, Known issues).
            values = _numeric_values(x, feature)
            mean, variance = tft.mean(values), tft.var(values)
            filled, missing = _impute(values, mean)
            scaled = (filled - mean) * tf.math.rsqrt(tf.maximum(variance, 1e-12))
            outputs[transformed_name(feature.name)] = scaled
            outputs[missing_indicator_name(feature.name)] = missing
        elif feature.kind == "binary":
            filled, missing = _impute(x, tf.constant(0.0))
            outputs[transformed_name(feature.name)] = filled
            outputs[missing_indicator_name(feature.name)] = missing
        else:  # categorical: strings, or integer codes read as strings
            dense = _to_dense_column(_as_string(x), default="")
            outputs[transformed_name(feature.name)] = tft.compute_and_apply_vocabulary(
                dense, num_oov_buckets=1, vocab_filename=vocabulary_name(feature)
            )

    for slice_ in config.slices:
        if not slice_.boundaries:
            continue  # categorical slices are read from the raw column by the Evaluator
        values = _to_dense_column(_as_float(inputs[slice_.column]), default=float("nan"))
        bucket = tf.raw_ops.Bucketize(
            input=values, boundaries=[float(b) for b in slice_.boundaries]
        )
        bands = tf.gather(tf.constant(slice_.band_labels()), bucket)
        outputs[slice_.name] = tf.where(tf.math.is_nan(values), MISSING_BAND, bands)

    # At serving time the labels are absent; TFT prunes these outputs from the serving graph.
    for task in config.tasks:
        label = _to_dense_column(_as_float(inputs[task.label_column]), default=float("nan"))
        if task.label_transform == "log1p":
            label = tf.math.log1p(label)
        outputs[transformed_label_name(task)] = label
    return outputs

"""The Trainer step: one tf_keras model with a shared trunk and one head per configured task.

``run_fn`` is called by the TFX Trainer. It builds the model from the pipeline configuration
(carried in ``custom_config``), trains it with per-task losses and loss weights and early
stopping on the ``validation`` split, and saves a SavedModel with two signatures:

* ``serving_default``: serialized ``tf.Example``s in, a dict keyed by task name out, each in
  the label's own unit (a ``log1p``-trained head is returned through ``expm1``);
* ``serving_raw``: one named tensor per raw feature in (JSON requests to TF Serving or a
  Vertex endpoint need no ``tf.Example``), the same dict out;
* ``transform_features``: serialized ``tf.Example``s in, the transformed features out (TFMA
  uses it to slice by bucketed columns such as ``age_band``).

TF Serving warm-up requests for both serving signatures go to ``assets.extra/``.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow as tf  # noqa: E402
import tensorflow_transform as tft  # noqa: E402
import tf_keras as keras  # noqa: E402
from tensorflow.python.autograph.core import config as autograph_config  # noqa: E402
from tfx import v1 as tfx  # noqa: E402
from tfx_bsl.public import tfxio  # noqa: E402

from components.feature_names import (  # noqa: E402
    missing_indicator_name,
    transformed_label_name,
    transformed_name,
    vocabulary_name,
)
from pipeline.config import Feature, PipelineConfig, Task, config_from_custom_config  # noqa: E402

# AutoGraph's do-not-convert list names `keras`, not `tf_keras`: without this the first fit()
# spends ~40 s converting tf_keras internals (see shared/TRAPS.md).
autograph_config.CONVERSION_RULES = (autograph_config.DoNotConvert("tf_keras"),) + tuple(
    autograph_config.CONVERSION_RULES
)

NUM_OOV_BUCKETS = 1


def is_embedded(feature: Feature) -> bool:
    """Categories and bucketized numbers are indices fed to an embedding."""
    return feature.kind == "categorical" or bool(feature.bucket_boundaries)


def model_input_names(config: PipelineConfig) -> list[str]:
    """The transformed features the model reads, in a fixed order."""
    names = []
    for feature in config.features:
        names.append(transformed_name(feature.name))
        if not is_embedded(feature):
            names.append(missing_indicator_name(feature.name))
    return names


def task_loss(task: Task) -> keras.losses.Loss:
    """The Keras loss of a task's configured ``loss``."""
    if task.type == "binary_classification":
        if task.loss == "focal":
            return keras.losses.BinaryFocalCrossentropy()
        return keras.losses.BinaryCrossentropy()
    if task.loss == "huber":
        return keras.losses.Huber()
    if task.loss == "mae":
        return keras.losses.MeanAbsoluteError()
    return keras.losses.MeanSquaredError()


class TaskUncertainty(keras.layers.Layer):
    """Holds one trainable log-variance ``s`` per task for learned loss weighting; passes its
    input through unchanged (it sits on the trunk so that its weights belong to the model)."""

    def __init__(self, task_names: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.task_names = list(task_names)

    def build(self, input_shape: Any) -> None:
        self.log_variances = {
            name: self.add_weight(name=f"{name}_log_variance", shape=(), initializer="zeros")
            for name in self.task_names
        }
        super().build(input_shape)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "task_names": self.task_names}


class UncertaintyWeightedLoss(keras.losses.Loss):
    """``exp(-s) * loss + s``, with ``s`` a task's learned log-variance."""

    def __init__(self, base: keras.losses.Loss, log_variance: tf.Variable, **kwargs: Any):
        super().__init__(name=f"uncertainty_weighted_{base.name}", **kwargs)
        self.base = base
        self.log_variance = log_variance

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        loss = self.base(y_true, y_pred)
        return tf.exp(-self.log_variance) * loss + self.log_variance


def learned_loss_weights(model: keras.Model) -> dict[str, float]:
    """The effective weight ``exp(-s)`` of each task under uncertainty weighting, else ``{}``."""
    for layer in model.layers:
        if isinstance(layer, TaskUncertainty):
            return {
                name: float(tf.exp(-variable).numpy())
                for name, variable in layer.log_variances.items()
            }
    return {}


def build_model(config: PipelineConfig, vocabulary_sizes: dict[str, int]) -> keras.Model:
    """Builds and compiles the multi-task model.

    Args:
        config: the pipeline configuration; its features become inputs and its tasks heads.
        vocabulary_sizes: the vocabulary size of each categorical feature, by feature name
            (without the out-of-vocabulary bucket).

    Returns:
        A compiled ``keras.Model`` whose outputs are named after the tasks, each [batch, 1].

    Raises:
        KeyError: if a categorical feature has no vocabulary size.
    """
    training = config.training
    keras.utils.set_random_seed(training.seed)
    inputs: dict[str, keras.Input] = {}
    encoded = []
    for feature in config.features:
        name = transformed_name(feature.name)
        if is_embedded(feature):
            inputs[name] = keras.Input(shape=(1,), name=name, dtype=tf.int64)
            embedding = keras.layers.Embedding(
                vocabulary_sizes[feature.name] + NUM_OOV_BUCKETS,
                training.categorical_embedding_dim,
                name=f"{feature.name}_embedding",
            )(inputs[name])
            encoded.append(keras.layers.Flatten()(embedding))
        else:
            inputs[name] = keras.Input(shape=(1,), name=name, dtype=tf.float32)
            missing = missing_indicator_name(feature.name)
            inputs[missing] = keras.Input(shape=(1,), name=missing, dtype=tf.float32)
            encoded.extend([inputs[name], inputs[missing]])

    trunk = keras.layers.Concatenate(name="shared_inputs")(encoded)
    for i, units in enumerate(training.hidden_units):
        trunk = keras.layers.Dense(units, activation="relu", name=f"shared_dense_{i}")(trunk)
        if training.dropout > 0:
            trunk = keras.layers.Dropout(training.dropout, name=f"shared_dropout_{i}")(trunk)
    uncertainty = None
    if training.loss_weighting == "uncertainty":
        uncertainty = TaskUncertainty([t.name for t in config.tasks], name="task_uncertainty")
        trunk = uncertainty(trunk)

    outputs = {}
    losses = {}
    metrics = {}
    for task in config.tasks:
        head = trunk
        if training.head_units > 0:
            head = keras.layers.Dense(
                training.head_units, activation="relu", name=f"{task.name}_hidden"
            )(head)
        if task.type == "binary_classification":
            outputs[task.name] = keras.layers.Dense(1, activation="sigmoid", name=task.name)(head)
            metrics[task.name] = [keras.metrics.AUC(name="auc")]
        else:
            outputs[task.name] = keras.layers.Dense(1, name=task.name)(head)
            metrics[task.name] = [keras.metrics.MeanAbsoluteError(name="mae")]
        losses[task.name] = task_loss(task)
        if uncertainty is not None:
            losses[task.name] = UncertaintyWeightedLoss(
                losses[task.name], uncertainty.log_variances[task.name]
            )

    model = keras.Model(inputs=inputs, outputs=outputs, name="multitask_clinical_model")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=training.learning_rate),
        loss=losses,
        loss_weights={task.name: task.loss_weight for task in config.tasks},
        metrics=metrics,
    )
    return model


_SHUFFLE_BATCHES = 1_000


def split_features_and_labels(
    config: PipelineConfig,
) -> Any:
    """Returns a ``dataset.map`` function: transformed batch -> (model inputs, labels by task)."""
    input_names = model_input_names(config)

    def split(batch: dict[str, tf.Tensor]) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
        features = {name: batch[name] for name in input_names}
        labels = {task.name: batch[transformed_label_name(task)] for task in config.tasks}
        return features, labels

    return split


def _dataset(
    file_pattern: list[str],
    data_accessor: tfx.components.DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    config: PipelineConfig,
    shuffle: bool,
) -> tf.data.Dataset:
    dataset = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=config.training.batch_size,
            shuffle=shuffle,
            shuffle_seed=config.training.seed,
            num_epochs=1,
        ),
        tf_transform_output.transformed_metadata.schema,
    )
    dataset = dataset.map(split_features_and_labels(config))
    return epochs_from_memory(dataset, config, shuffle)


def epochs_from_memory(
    dataset: tf.data.Dataset, config: PipelineConfig, shuffle: bool
) -> tf.data.Dataset:
    """With ``training.cache_in_memory``, the batches of the first pass are kept in memory and
    later epochs replay them (their order reshuffled when ``shuffle``) instead of reading and
    parsing the TFRecords again. Without it, ``dataset`` is only prefetched."""
    if config.training.cache_in_memory:
        dataset = dataset.cache()
        if shuffle:
            # The buffer shares the cached batches' tensors rather than copying them. It must
            # fill before the first step: a buffer as large as an epoch would make the first
            # epoch read everything before training (11 s more at 1M rows); 1,000 batches is
            # a window of 128k examples at the default batch size.
            dataset = dataset.shuffle(
                _SHUFFLE_BATCHES, seed=config.training.seed, reshuffle_each_iteration=True
            )
    return dataset.prefetch(tf.data.AUTOTUNE)


def raw_serving_feature_spec(
    tf_transform_output: tft.TFTransformOutput, config: PipelineConfig
) -> dict[str, Any]:
    """The raw feature spec a request is parsed with: the schema's, without the labels."""
    spec = dict(tf_transform_output.raw_feature_spec())
    for label in config.label_columns:
        spec.pop(label, None)
    return spec


def _to_label_unit(task: Task, prediction: tf.Tensor) -> tf.Tensor:
    if task.label_transform == "log1p":
        return tf.maximum(tf.math.expm1(prediction), 0.0)
    return prediction


def _predict_from_raw(model: keras.Model, config: PipelineConfig, raw: dict) -> dict:
    """Raw features (as parsed with the schema) -> each task's prediction in its label's unit."""
    transformed = model.tft_layer(raw)
    inputs = {name: transformed[name] for name in model_input_names(config)}
    predictions = model(inputs, training=False)
    return {task.name: _to_label_unit(task, predictions[task.name]) for task in config.tasks}


def _serving_signature(model: keras.Model, tf_transform_output, config: PipelineConfig):
    feature_spec = raw_serving_feature_spec(tf_transform_output, config)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples(serialized_examples):
        raw = tf.io.parse_example(serialized_examples, feature_spec)
        return _predict_from_raw(model, config, raw)

    return serve_tf_examples


def raw_signature_inputs(tf_transform_output, config: PipelineConfig) -> dict[str, tf.TensorSpec]:
    """The named inputs of ``serving_raw``: one [batch] tensor per feature, strings for string
    columns and floats for numbers (JSON has one number type). A missing value is NaN for a
    number and "" for a string."""
    spec = raw_serving_feature_spec(tf_transform_output, config)
    return {
        f.name: tf.TensorSpec(
            shape=[None],
            dtype=tf.string if spec[f.name].dtype == tf.string else tf.float32,
            name=f.name,
        )
        for f in config.features
    }


def _as_parsed_column(values: tf.Tensor, dtype: tf.DType) -> tf.SparseTensor:
    """A [batch] request column -> the [batch, 0 or 1] sparse column parse_example would give."""
    if values.dtype == tf.string:
        present = tf.not_equal(values, "")
    else:
        present = tf.logical_not(tf.math.is_nan(values))
        values = tf.cast(tf.round(values), dtype) if dtype.is_integer else tf.cast(values, dtype)
    rows = tf.where(present)
    indices = tf.concat([rows, tf.zeros_like(rows)], axis=1)
    return tf.SparseTensor(
        indices, tf.boolean_mask(values, present), tf.stack([tf.size(present, tf.int64), 1])
    )


def _raw_signature(model: keras.Model, tf_transform_output, config: PipelineConfig):
    spec = raw_serving_feature_spec(tf_transform_output, config)
    inputs = raw_signature_inputs(tf_transform_output, config)

    @tf.function(input_signature=[inputs])
    def serve_raw(features):
        raw = {name: _as_parsed_column(features[name], spec[name].dtype) for name in inputs}
        return _predict_from_raw(model, config, raw)

    return serve_raw


def _transform_features_signature(model: keras.Model, tf_transform_output, config):
    feature_spec = raw_serving_feature_spec(tf_transform_output, config)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features(serialized_examples):
        raw = tf.io.parse_example(serialized_examples, feature_spec)
        return model.tft_layer(raw)

    return transform_features


def vocabulary_sizes(
    tf_transform_output: tft.TFTransformOutput, config: PipelineConfig
) -> dict[str, int]:
    """The vocabulary size of each categorical feature, read from Transform's output."""
    sizes = {
        feature.name: tf_transform_output.vocabulary_size_by_name(vocabulary_name(feature))
        for feature in config.features_of_kind("categorical")
    }
    for feature in config.features:
        if feature.bucket_boundaries:
            # The buckets, plus one for missing values.
            sizes[feature.name] = len(feature.bucket_boundaries) + 2
    return sizes


def warm_start_from(model: keras.Model, base_model_dir: str) -> int:
    """Copies the weights of the served model into ``model`` where name and shape match.

    A layer whose shape changed (a vocabulary that grew, a wider trunk) keeps its fresh
    initialisation. Returns how many weight tensors were copied.
    """
    served = {v.name: v for v in tf.saved_model.load(base_model_dir).variables}
    copied = 0
    for weight in model.weights:
        source = served.get(weight.name)
        if source is not None and source.shape == weight.shape:
            weight.assign(source)
            copied += 1
    tf.get_logger().info(
        "Warm start: %d of %d weight tensors copied from %s",
        copied,
        len(model.weights),
        base_model_dir,
    )
    return copied


WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def write_warmup_requests(saved_model_dir: str, raw_inputs: dict[str, tf.TensorSpec]) -> None:
    """Writes TF Serving warm-up requests for both serving signatures.

    The requests carry no patient: an empty ``tf.Example`` and a raw request with every value
    missing (TF Serving replays them at load time, so the first real request is not slow).
    """
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    def log(signature: str, inputs: dict) -> prediction_log_pb2.PredictionLog:
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(signature_name=signature)
        )
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
        return prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=request)
        )

    empty_example = tf.train.Example().SerializeToString()
    missing = {
        name: [""] if spec.dtype == tf.string else [float("nan")]
        for name, spec in raw_inputs.items()
    }
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path) as writer:
        writer.write(log("serving_default", {"examples": [empty_example]}).SerializeToString())
        writer.write(log("serving_raw", missing).SerializeToString())


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """Trains the multi-task model and saves it for serving and evaluation.

    Args:
        fn_args: from the TFX Trainer; ``custom_config`` carries the pipeline configuration,
            ``train_files`` the training split and ``eval_files`` the validation split used for
            early stopping.
    """
    config = config_from_custom_config(fn_args.custom_config)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)

    train = _dataset(fn_args.train_files, fn_args.data_accessor, tf_transform_output, config, True)
    validation = _dataset(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, config, False
    )

    model = build_model(config, vocabulary_sizes(tf_transform_output, config))
    if config.training.warm_start and fn_args.base_model:
        warm_start_from(model, fn_args.base_model)
    model.summary(print_fn=lambda line: tf.get_logger().info(line))
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=config.training.early_stopping_patience,
            restore_best_weights=True,
        ),
        keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir, update_freq="epoch"),
    ]
    model.fit(
        train,
        validation_data=validation,
        epochs=config.training.epochs,
        callbacks=callbacks,
        verbose=2,
    )

    # Attached to the model so that the saved signatures track the transform graph.
    model.tft_layer = tf_transform_output.transform_features_layer()
    serve_raw = _raw_signature(model, tf_transform_output, config)
    signatures = {
        "serving_default": _serving_signature(model, tf_transform_output, config),
        "serving_raw": serve_raw.get_concrete_function(),
        "transform_features": _transform_features_signature(model, tf_transform_output, config),
    }
    model.save(fn_args.serving_model_dir, save_format="tf", signatures=signatures)
    write_warmup_requests(
        fn_args.serving_model_dir, raw_signature_inputs(tf_transform_output, config)
    )

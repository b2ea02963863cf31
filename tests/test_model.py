"""The multi-task model: one head per configured task, right names and shapes, and it learns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from components.model import build_model, model_input_names  # noqa: E402
from pipeline.config import Gate, Task  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG  # noqa: E402

VOCABULARY_SIZES = {"sex": 2, "admission_type": 4}


def _batch(config, n=64, seed=0):
    rng = np.random.default_rng(seed)
    features = {}
    for name in model_input_names(config):
        if name in ("sex_xf", "admission_type_xf"):
            features[name] = rng.integers(0, 2, size=(n, 1)).astype("int64")
        elif name.endswith("_missing_xf"):
            features[name] = np.zeros((n, 1), "float32")
        else:
            features[name] = rng.normal(size=(n, 1)).astype("float32")
    signal = features["age_xf"] + features["bmi_xf"]
    labels = {}
    for task in config.tasks:
        if task.type == "binary_classification":
            labels[task.name] = (signal > 0).astype("float32")
        else:
            labels[task.name] = (1.5 + 0.5 * signal).astype("float32")
    return features, labels


@pytest.fixture(scope="module")
def model():
    return build_model(DEFAULT_CONFIG, VOCABULARY_SIZES)


def test_one_head_per_task_named_after_it(model):
    assert sorted(model.output_names) == sorted(t.name for t in DEFAULT_CONFIG.tasks)
    assert set(model.input_names) == set(model_input_names(DEFAULT_CONFIG))


def test_heads_shapes_and_ranges(model):
    features, _ = _batch(DEFAULT_CONFIG, n=7)
    predictions = model(features)
    assert set(predictions) == {"disease_risk", "length_of_stay_days"}
    for value in predictions.values():
        assert value.shape == (7, 1)
    risk = predictions["disease_risk"].numpy()
    assert ((risk > 0) & (risk < 1)).all()


def test_trunk_is_shared_and_heads_are_separate(model):
    names = [layer.name for layer in model.layers]
    assert "shared_dense_0" in names and "shared_dense_1" in names
    assert "disease_risk_hidden" in names and "length_of_stay_days_hidden" in names


def test_loss_falls_on_a_tiny_batch():
    model = build_model(DEFAULT_CONFIG, VOCABULARY_SIZES)
    features, labels = _batch(DEFAULT_CONFIG)
    before = model.evaluate(features, labels, verbose=0, return_dict=True)
    model.fit(features, labels, epochs=30, batch_size=64, verbose=0)
    after = model.evaluate(features, labels, verbose=0, return_dict=True)
    for task in DEFAULT_CONFIG.tasks:
        assert after[f"{task.name}_loss"] < 0.7 * before[f"{task.name}_loss"], task.name


def test_loss_weights_follow_the_configuration():
    stay = dataclasses.replace(DEFAULT_CONFIG.tasks[1], loss_weight=0.25)
    config = DEFAULT_CONFIG.replace(tasks=(DEFAULT_CONFIG.tasks[0], stay))
    model = build_model(config, VOCABULARY_SIZES)
    assert model.compiled_loss._loss_weights == {"disease_risk": 1.0, "length_of_stay_days": 0.25}


def test_uncertainty_weighting_learns_one_weight_per_task_and_saves(tmp_path):
    from components.model import learned_loss_weights

    training = dataclasses.replace(DEFAULT_CONFIG.training, loss_weighting="uncertainty")
    config = DEFAULT_CONFIG.replace(training=training)
    model = build_model(config, VOCABULARY_SIZES)
    assert learned_loss_weights(model) == {"disease_risk": 1.0, "length_of_stay_days": 1.0}
    features, labels = _batch(config)
    model.fit(features, labels, epochs=30, batch_size=64, verbose=0)
    learned = learned_loss_weights(model)
    assert set(learned) == {"disease_risk", "length_of_stay_days"}
    # Both weights moved away from 1, and differently: they are learned per task.
    assert all(abs(w - 1.0) > 0.01 for w in learned.values()), learned
    assert abs(learned["disease_risk"] - learned["length_of_stay_days"]) > 0.01, learned
    # The weighting does not change the model's outputs or its SavedModel.
    assert sorted(model.output_names) == ["disease_risk", "length_of_stay_days"]
    model.save(str(tmp_path / "saved"), save_format="tf")
    restored = tf.saved_model.load(str(tmp_path / "saved"))
    assert restored is not None
    # Static weighting has no learned weights.
    assert learned_loss_weights(build_model(DEFAULT_CONFIG, VOCABULARY_SIZES)) == {}


def test_a_third_task_gets_a_third_head():
    extra = Task(
        name="readmission",
        type="binary_classification",
        label_column="readmitted",
        metrics=("auc",),
        gates=(Gate("auc", lower_bound=0.6),),
    )
    config = DEFAULT_CONFIG.replace(tasks=DEFAULT_CONFIG.tasks + (extra,))
    model = build_model(config, VOCABULARY_SIZES)
    assert "readmission" in model.output_names


def test_warm_start_copies_the_served_weights_where_shapes_match(tmp_path):
    from components.model import warm_start_from

    served = build_model(DEFAULT_CONFIG, VOCABULARY_SIZES)
    served.save(str(tmp_path / "served"), save_format="tf")

    training = dataclasses.replace(DEFAULT_CONFIG.training, seed=7)
    fresh = build_model(DEFAULT_CONFIG.replace(training=training), VOCABULARY_SIZES)
    assert not np.allclose(
        fresh.get_layer("shared_dense_0").kernel, served.get_layer("shared_dense_0").kernel
    )
    copied = warm_start_from(fresh, str(tmp_path / "served"))
    assert copied == len(fresh.weights)
    for a, b in zip(fresh.weights, served.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # A vocabulary that grew keeps its fresh embedding; everything else is copied.
    grown = build_model(DEFAULT_CONFIG, {"sex": 3, "admission_type": 4})
    assert warm_start_from(grown, str(tmp_path / "served")) == len(grown.weights) - 1


def test_configured_losses_map_to_keras_losses():
    from components.model import task_loss

    disease, stay = DEFAULT_CONFIG.tasks
    assert type(task_loss(disease)).__name__ == "BinaryCrossentropy"
    assert type(task_loss(dataclasses.replace(disease, loss="focal"))).__name__ == (
        "BinaryFocalCrossentropy"
    )
    assert type(task_loss(stay)).__name__ == "MeanSquaredError"
    assert type(task_loss(dataclasses.replace(stay, loss="huber"))).__name__ == "Huber"
    assert type(task_loss(dataclasses.replace(stay, loss="mae"))).__name__ == "MeanAbsoluteError"


def _counted_batches(reads: list, batches: int = 50):
    """A dataset of ``batches`` one-row batches that appends to ``reads`` each time a batch is
    produced from the source (as reading a TFRecord would)."""

    def produce(i):
        reads.append(int(i))
        return i

    return tf.data.Dataset.range(batches).map(lambda i: tf.py_function(produce, [i], tf.int64))


@pytest.mark.parametrize("cache_in_memory", [True, False])
def test_later_epochs_come_from_memory_only_when_configured(cache_in_memory):
    from components.model import epochs_from_memory

    training = dataclasses.replace(DEFAULT_CONFIG.training, cache_in_memory=cache_in_memory)
    config = dataclasses.replace(DEFAULT_CONFIG, training=training)
    reads: list[int] = []
    dataset = epochs_from_memory(_counted_batches(reads), config, shuffle=True)

    epochs = [[int(b) for b in dataset] for _ in range(3)]

    for epoch in epochs:
        assert sorted(epoch) == list(range(50)), "every batch once per epoch"
    if cache_in_memory:
        assert len(reads) == 50, "the source is read in the first epoch only"
        assert epochs[1] != epochs[2], "later epochs reshuffle the batches' order"
    else:
        assert len(reads) == 150, "each epoch reads the source again"


def test_validation_batches_keep_their_order_when_cached():
    from components.model import epochs_from_memory

    reads: list[int] = []
    dataset = epochs_from_memory(_counted_batches(reads, 20), DEFAULT_CONFIG, shuffle=False)
    assert [int(b) for b in dataset] == [int(b) for b in dataset] == list(range(20))
    assert len(reads) == 20

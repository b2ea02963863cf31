"""The Trainer with its in-memory cache on and off, on one pipeline run's Transform output.

Runs TFX's own Trainer executor twice on the same transformed splits, with the pipeline's
configuration except ``training.cache_in_memory``: same rows, model, seed and epoch limit, so
the difference is the cache. Records the wall time, the epochs early stopping let run, the
seconds of the first and of the later epochs (from the Trainer's TensorBoard log), and the
best validation loss (to show the model is as good). Never asserts on time.

Examples:
  make run && uv run python -m benchmarks.trainer_cache           # the bundled 10k rows
  uv run python -m benchmarks.trainer_cache --output-root /tmp/b/outputs-1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from benchmarks.results import record  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG, DEFAULT_OUTPUT_ROOT  # noqa: E402


def epoch_log(log_dir: Path, tag: str = "epoch_loss") -> list[tuple[float, float]]:
    """(wall time, value) of ``tag`` per epoch from a Keras TensorBoard log folder."""
    import tensorflow as tf

    points = []
    for path in sorted(glob.glob(str(log_dir / "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == tag:
                    points.append((event.wall_time, float(tf.make_ndarray(value.tensor))))
    return sorted(points)


def train_once(run, config, cache_in_memory: bool, workdir: Path) -> dict:
    """The TFX Trainer executor on ``run``'s Transform output, the cache on or off."""
    from google.protobuf import json_format
    from tfx.components.trainer.executor import GenericExecutor
    from tfx.proto import trainer_pb2
    from tfx.types import artifact_utils, standard_artifacts

    from pipeline.config import CUSTOM_CONFIG_KEY
    from pipeline.pipeline import RUN_FN

    def artifact(kind, uri):
        made = kind()
        made.uri = str(uri)
        return made

    examples = artifact(
        standard_artifacts.Examples, run.output_uri("transform", "transformed_examples")
    )
    examples.split_names = artifact_utils.encode_split_names(["train", "validation"])
    training = dataclasses.replace(config.training, cache_in_memory=cache_in_memory)
    config = dataclasses.replace(config, training=training)
    model_run_dir = workdir / "model_run"
    inputs = {
        "examples": [examples],
        "transform_graph": [
            artifact(
                standard_artifacts.TransformGraph, run.output_uri("transform", "transform_graph")
            )
        ],
        "schema": [
            artifact(standard_artifacts.Schema, run.output_uri("schema_importer", "schema"))
        ],
    }
    outputs = {
        "model": [artifact(standard_artifacts.Model, workdir / "model")],
        "model_run": [artifact(standard_artifacts.ModelRun, model_run_dir)],
    }
    properties = {
        "run_fn": RUN_FN,
        "train_args": json_format.MessageToJson(trainer_pb2.TrainArgs(splits=["train"])),
        "eval_args": json_format.MessageToJson(trainer_pb2.EvalArgs(splits=["validation"])),
        "custom_config": json.dumps({CUSTOM_CONFIG_KEY: config.for_components()}),
    }
    started = time.time()
    GenericExecutor().Do(inputs, outputs, properties)
    seconds = time.time() - started

    train = epoch_log(model_run_dir / "train")
    validation = epoch_log(model_run_dir / "validation")
    ends = [wall for wall, _ in train]
    later = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    return {
        "cache_in_memory": cache_in_memory,
        "trainer_seconds": round(seconds, 1),
        "epochs": len(train),
        # From the executor's start: includes building the model and the first read.
        "first_epoch_seconds": round(ends[0] - started, 1) if ends else None,
        "later_epoch_seconds_mean": round(sum(later) / len(later), 2) if later else None,
        "best_validation_loss": round(min(v for _, v in validation), 5) if validation else None,
    }


def main(argv: list[str] | None = None) -> int:
    from pipeline.local_run import LocalPaths
    from pipeline.run_summary import latest_run

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.trainer_cache",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Examples:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output-root", default=str(DEFAULT_OUTPUT_ROOT), help="a run's root")
    parser.add_argument("--output", default="benchmarks/results/trainer_cache")
    args = parser.parse_args(argv)
    paths = LocalPaths(Path(args.output_root).resolve())
    run = latest_run(paths.metadata_path, DEFAULT_CONFIG.pipeline_name)
    if run is None or not run.output_uri("transform", "transformed_examples"):
        parser.error(f"no run with Transform output under {paths.output_root}; run `make run`")

    results = []
    for cache_in_memory in (False, True):
        with tempfile.TemporaryDirectory(prefix="trainer-cache-") as workdir:
            results.append(train_once(run, DEFAULT_CONFIG, cache_in_memory, Path(workdir)))
        print(json.dumps(results[-1]), flush=True)

    lines = [
        f"Transform output of {paths.output_root}",
        "",
        "| cache_in_memory | Trainer s | epochs | first epoch s | later epochs s (mean) "
        "| best validation loss |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {'on' if r['cache_in_memory'] else 'off'} | {r['trainer_seconds']} | {r['epochs']} "
            f"| {r['first_epoch_seconds']} | {r['later_epoch_seconds_mean']} "
            f"| {r['best_validation_loss']} |"
        )
    off, on = results
    epoch_share = on["later_epoch_seconds_mean"] / off["later_epoch_seconds_mean"]
    lines += [
        "",
        f"With the cache an epoch after the first takes {epoch_share:.0%} of its time without, "
        f"and the whole Trainer {on['trainer_seconds'] / off['trainer_seconds']:.0%}; early "
        f"stopping ran {on['epochs']} epochs with the cache and {off['epochs']} without, so the "
        "per-epoch share is the cache's own effect.",
    ]
    record(args.output, {"output_root": str(paths.output_root), "runs": results}, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

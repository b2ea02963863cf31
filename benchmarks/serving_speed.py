"""Serving speed of a pushed SavedModel, in process, from serialized tf.Examples.

Single-example latency (p50 and p99 over --calls calls) and batch-of-1000 throughput, for
``serving_default``. Prints a Markdown table and writes JSON. It never asserts on time.

Examples:
  uv run python -m benchmarks.serving_speed                   # newest model under outputs/
  uv run python -m benchmarks.serving_speed --serving-dir /tmp/run/serving_model --calls 2000
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from benchmarks.results import record  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    from components.examples import records_to_serialized_examples
    from pipeline.config_file import load_schema
    from pipeline.defaults import BUNDLED_DATA_ROOT, DEFAULT_CONFIG, DEFAULT_OUTPUT_ROOT
    from serving.batch_predict import latest_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serving-dir", default=str(DEFAULT_OUTPUT_ROOT / "serving_model"))
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--output", default="benchmarks/results/serving_speed")
    args = parser.parse_args(argv)

    model_dir = latest_model(args.serving_dir, None)
    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    records = pd.read_csv(BUNDLED_DATA_ROOT / "span-1" / "patients.csv").head(1000)
    records = records.drop(columns=list(DEFAULT_CONFIG.label_columns)).to_dict("records")
    examples = records_to_serialized_examples(records, load_schema(DEFAULT_CONFIG.schema_path))
    batch = tf.constant(examples)
    singles = [tf.constant([e]) for e in examples]
    for warm in singles[:20]:
        serve(examples=warm)
    serve(examples=batch)

    latencies = []
    for i in range(args.calls):
        start = time.perf_counter()
        serve(examples=singles[i % len(singles)])
        latencies.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    for _ in range(args.batches):
        serve(examples=batch)
    batch_seconds = (time.perf_counter() - start) / args.batches

    figures = {
        "model": str(model_dir),
        "single_p50_ms": float(np.percentile(latencies, 50)),
        "single_p99_ms": float(np.percentile(latencies, 99)),
        "batch_1000_ms": batch_seconds * 1000,
        "examples_per_second": len(examples) / batch_seconds,
        "calls": args.calls,
    }
    table = "\n".join(
        [
            "| measure | value |",
            "|---|---|",
            f"| single example, p50 ({args.calls} calls) | {figures['single_p50_ms']:.2f} ms |",
            f"| single example, p99 | {figures['single_p99_ms']:.2f} ms |",
            f"| batch of 1000 | {figures['batch_1000_ms']:.1f} ms |",
            f"| throughput | {figures['examples_per_second']:.0f} examples/s |",
        ]
    )
    record(args.output, figures, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

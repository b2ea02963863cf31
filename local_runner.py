"""Runs the multi-task clinical pipeline locally: LocalDagRunner, SQLite ML Metadata.

Examples:
  # The full pipeline on the bundled data (what the README's first command does):
  uv run python local_runner.py
  # Another data root (span-<N>/ folders of CSV) and output folder:
  uv run python local_runner.py run --data-root /data/patients --output-root /tmp/run1
  # For cron: train on the newest span, stop on bad or drifted data, push only a better model
  uv run python local_runner.py retrain --data-root /data/patients --output-root /srv/clinical
  # The same on a rolling window of the last 3 accepted spans (the newest validated alone)
  uv run python local_runner.py retrain --window 3 --data-root /data/patients
  # Your own dataset, described by a config file and a curated schema
  uv run python local_runner.py --config configs/icu/icu.yaml --output-root outputs/icu

Exit codes: 0 a model was pushed, or nothing new to do (the served model already fits the
newest span); 2 the configuration was refused (the message names the field); 3 the data was
rejected before training (bad or drifted span); 4 the model was trained but failed a gate
(nothing pushed); 5 another run holds the output root; 1 any other failure. The served
model stays in place on every non-zero code.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TF 2.16 logs spurious CUDA "Unable to register ... factory" errors on CPU-only machines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# google-api-core warns once per Google client module that Python 3.10 is old; TFX 1.16 pins it.
warnings.filterwarnings("ignore", category=FutureWarning, module="google.api_core")
# TFMA's PR-AUC interpolation divides by zero at thresholds with no positives; harmless.
warnings.filterwarnings("ignore", category=RuntimeWarning, module="tensorflow_model_analysis")

from pipeline.config import ConfigError  # noqa: E402
from pipeline.config_file import load_config  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG_FILE, DEFAULT_OUTPUT_ROOT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=("run", "retrain"),
        help="run (default) or retrain (the same run, ending with one line for cron logs)",
    )
    parser.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG_FILE),
        help="the dataset's configuration file (default: the bundled clinical dataset)",
    )
    parser.add_argument("--data-root", help="span folders (default: the config's data_root)")
    parser.add_argument("--output-root", default=str(DEFAULT_OUTPUT_ROOT), help="run state")
    parser.add_argument("--schema", help="curated schema (default: the config's schema_path)")
    parser.add_argument(
        "--wait", action="store_true", help="wait for a run in progress instead of exiting 5"
    )
    parser.add_argument(
        "--window",
        type=int,
        default=1,
        help="train on the newest span plus the N-1 newest earlier spans that passed "
        "validation (default 1: the newest span only)",
    )
    parser.add_argument("--verbose", action="store_true", help="show TFX's own INFO logs")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (ConfigError, FileNotFoundError) as error:
        print(f"error: {args.config}: {error}", file=sys.stderr)
        return 2
    data_root = args.data_root or config.data_root
    schema = args.schema or config.schema_path

    print("Importing TFX and TensorFlow (about half a minute)...", flush=True)
    from pipeline.local_run import run_local_pipeline
    from pipeline.summary import format_summary

    outcome = run_local_pipeline(
        config,
        data_root,
        args.output_root,
        schema,
        verbose=args.verbose,
        wait_for_lock=args.wait,
        span_window=args.window,
    )
    print(format_summary(config, outcome, args.output_root))
    if args.command == "retrain":
        print(f"retrain: {outcome.status} (exit {outcome.exit_code})")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())

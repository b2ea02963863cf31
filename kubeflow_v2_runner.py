"""Compiles the pipeline for Vertex AI Pipelines / Kubeflow Pipelines v2; submits or schedules it.

The DAG is the same ``create_pipeline`` the local runner uses; only the runner and the cloud
settings (``configs/cloud.example.yaml``) differ.

Examples:
  # Compile into build/: clinical-multitask.json (Vertex) and clinical-multitask.yaml (KFP)
  uv run python kubeflow_v2_runner.py compile --cloud-config configs/cloud.yaml
  # Run it once on Vertex AI Pipelines, or on a Kubeflow Pipelines cluster
  uv run python kubeflow_v2_runner.py submit --cloud-config configs/cloud.yaml --target vertex
  uv run python kubeflow_v2_runner.py submit --cloud-config configs/cloud.yaml --target kfp
  # Retrain every Monday at 03:00 (one run at a time)
  uv run python kubeflow_v2_runner.py schedule --cloud-config configs/cloud.yaml \\
      --target vertex --cron "0 3 * * 1"
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pipeline.cloud import CloudSettings, load_cloud_settings  # noqa: E402
from pipeline.config import ConfigError, PipelineConfig  # noqa: E402
from pipeline.config_file import load_config  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG_FILE, PROJECT_ROOT  # noqa: E402

LOG = logging.getLogger("kubeflow_v2_runner")
DATA_ROOT_PARAMETER = "data_root"
DEFAULT_BUILD_DIR = PROJECT_ROOT / "build"

# Steps of a local run that are not part of the compiled graph, and why.
LOCAL_ONLY = {
    "SQLite ML Metadata": "Vertex AI and Kubeflow keep their own ML Metadata",
    "content-addressed schema copy": "the schema ships in the image; a new image tag is a new "
    "cache key",
    "progress lines and run summary": "the Vertex / KFP console shows each task",
    "baseline that leaves the candidate out": "the Kubeflow V2 compiler accepts only TFX's stock "
    "resolver strategies; the baseline is the latest blessed model",
}


@dataclasses.dataclass(frozen=True)
class CompiledPipeline:
    """The files ``compile_pipeline`` wrote."""

    vertex_json: Path
    kfp_yaml: Path


def compile_pipeline(
    config: PipelineConfig, cloud: CloudSettings, output_dir: str | Path
) -> CompiledPipeline:
    """Compiles ``create_pipeline`` with ``KubeflowV2DagRunner``.

    Writes ``<name>.json`` (a Vertex AI PipelineJob: pipeline spec plus runtime config) and
    ``<name>.yaml`` (the pipeline spec alone, the package format of ``kfp.Client``).
    """
    import yaml
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    name = config.pipeline_name
    for step, why in LOCAL_ONLY.items():
        LOG.info("Left out of the compiled graph (local only): %s (%s)", step, why)

    pipeline = create_pipeline(
        config=config,
        # A run parameter, so that a scheduled or manual run can read another bucket folder.
        data_root=tfx.dsl.experimental.RuntimeParameter(
            name=DATA_ROOT_PARAMETER, ptype=str, default=cloud.resolved_data_root()
        ),
        schema_path=cloud.schema_path,
        pipeline_root=cloud.pipeline_root(name),
        serving_model_dir=cloud.serving_model_dir(name),
        beam_pipeline_args=cloud.beam_pipeline_args(),
        vertex_region=cloud.region,
        vertex_training_args=cloud.vertex_training_args(),
        vertex_serving_args=cloud.vertex_serving_args(),
        vertex_serving_image_uri=cloud.vertex_serving.serving_image_uri,
        baseline_excludes_candidate=False,
    )
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=cloud.image_uri
        ),
        output_dir=str(output_dir),
        output_filename=f"{name}.json",
    )
    runner.run(
        pipeline,
        parameter_values={DATA_ROOT_PARAMETER: cloud.resolved_data_root()},
        write_out=True,
    )
    vertex_json = output_dir / f"{name}.json"
    spec = json.loads(vertex_json.read_text())
    kfp_yaml = output_dir / f"{name}.yaml"
    kfp_yaml.write_text(yaml.safe_dump(spec["pipelineSpec"], sort_keys=False))
    LOG.info("Compiled %s and %s", vertex_json, kfp_yaml)
    return CompiledPipeline(vertex_json=vertex_json, kfp_yaml=kfp_yaml)


def main(argv: list[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    """The command line. ``clients`` replaces the real cloud clients (tests pass fakes):
    ``{"aiplatform": <module-like>, "kfp": <kfp.Client-like>}``."""
    from pipeline import submit

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[5:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("compile", "submit", "schedule"):
        sub = commands.add_parser(command)
        sub.add_argument("--cloud-config", required=True, help="cloud settings YAML")
        sub.add_argument(
            "--config", default=str(DEFAULT_CONFIG_FILE), help="the dataset's config file"
        )
        sub.add_argument("--output-dir", default=str(DEFAULT_BUILD_DIR))
        if command != "compile":
            sub.add_argument("--target", choices=("vertex", "kfp"), required=True)
            sub.add_argument("--package", help="a compiled package (default: compile now)")
            sub.add_argument(
                "--data-root", help=f"value of the {DATA_ROOT_PARAMETER!r} run parameter"
            )
        if command == "schedule":
            sub.add_argument("--cron", required=True, help="five fields, e.g. '0 3 * * 1'")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        cloud = load_cloud_settings(args.cloud_config)
        config = load_config(args.config)
        if args.command == "schedule":
            submit.validate_cron(args.cron)
    except (ConfigError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    if args.command == "compile" or not args.package:
        compiled = compile_pipeline(config, cloud, args.output_dir)
        package = (
            compiled.vertex_json
            if getattr(args, "target", "vertex") == "vertex"
            else (compiled.kfp_yaml)
        )
    else:
        package = Path(args.package)
    if args.command == "compile":
        print(f"Compiled: {compiled.vertex_json} (Vertex) and {compiled.kfp_yaml} (KFP)")
        return 0

    parameters = {DATA_ROOT_PARAMETER: args.data_root} if args.data_root else {}
    clients = clients or {}
    name = config.pipeline_name
    if args.command == "submit" and args.target == "vertex":
        job = submit.submit_to_vertex(package, cloud, name, parameters, clients.get("aiplatform"))
        print(f"Submitted to Vertex AI Pipelines: {getattr(job, 'resource_name', job)}")
    elif args.command == "submit":
        run = submit.submit_to_kfp(package, cloud, name, parameters, clients.get("kfp"))
        print(f"Submitted to Kubeflow Pipelines: {getattr(run, 'run_id', run)}")
    elif args.target == "vertex":
        schedule = submit.schedule_on_vertex(
            package, cloud, name, args.cron, parameters, clients.get("aiplatform")
        )
        print(f"Vertex AI schedule created: {getattr(schedule, 'resource_name', schedule)}")
    else:
        job = submit.schedule_on_kfp(
            package, cloud, name, args.cron, parameters, clients.get("kfp")
        )
        print(f"Kubeflow recurring run created: {getattr(job, 'recurring_run_id', job)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

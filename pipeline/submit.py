"""Submitting and scheduling a compiled pipeline on Vertex AI Pipelines and Kubeflow Pipelines.

Each function takes its client as an argument (the ``google.cloud.aiplatform`` module, or a
``kfp.Client``); by default it builds the real one. Tests pass fakes that record the calls.
Scheduled runs never overlap: ``max_concurrent_run_count`` / ``max_concurrency`` is 1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.cloud import CloudSettings
from pipeline.config import ConfigError

_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?]+$")


def validate_cron(cron: str) -> str:
    """Checks a standard five-field cron expression (minute hour day month weekday).

    Raises:
        ConfigError: naming the expression when it does not have five valid fields.
    """
    fields = cron.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ConfigError(
            f"cron: {cron!r} must have five fields (minute hour day month weekday), "
            "e.g. '0 3 * * 1' for Mondays at 03:00"
        )
    return " ".join(fields)


def kfp_cron(cron: str) -> str:
    """Kubeflow Pipelines' recurring runs take six fields, seconds first."""
    return "0 " + validate_cron(cron)


def _aiplatform(aiplatform_module: Any, cloud: CloudSettings) -> Any:
    if aiplatform_module is None:
        from google.cloud import aiplatform as aiplatform_module
    aiplatform_module.init(project=cloud.project, location=cloud.region)
    return aiplatform_module


def _vertex_job(aip: Any, package: Path, cloud: CloudSettings, name: str, parameters: dict):
    return aip.PipelineJob(
        display_name=name,
        template_path=str(package),
        pipeline_root=cloud.pipeline_root(name),
        parameter_values=parameters,
        enable_caching=True,
    )


def submit_to_vertex(
    package: str | Path,
    cloud: CloudSettings,
    pipeline_name: str,
    parameters: dict[str, Any] | None = None,
    aiplatform_module: Any = None,
) -> Any:
    """Starts one run of a compiled pipeline on Vertex AI Pipelines; returns the job."""
    aip = _aiplatform(aiplatform_module, cloud)
    job = _vertex_job(aip, Path(package), cloud, pipeline_name, dict(parameters or {}))
    job.submit(service_account=cloud.service_account or None)
    return job


def schedule_on_vertex(
    package: str | Path,
    cloud: CloudSettings,
    pipeline_name: str,
    cron: str,
    parameters: dict[str, Any] | None = None,
    aiplatform_module: Any = None,
) -> Any:
    """Creates a Vertex AI Pipelines schedule; one run at a time. Returns the schedule."""
    cron = validate_cron(cron)
    aip = _aiplatform(aiplatform_module, cloud)
    job = _vertex_job(aip, Path(package), cloud, pipeline_name, dict(parameters or {}))
    return job.create_schedule(
        cron=cron,
        display_name=f"{pipeline_name}-retraining",
        max_concurrent_run_count=1,
        service_account=cloud.service_account or None,
    )


def _kfp_client(client: Any, cloud: CloudSettings) -> Any:
    if client is not None:
        return client
    if not cloud.kfp_host:
        raise ConfigError("cloud settings: kfp_host is required for --target kfp")
    import kfp

    return kfp.Client(host=cloud.kfp_host)


def submit_to_kfp(
    package: str | Path,
    cloud: CloudSettings,
    pipeline_name: str,
    parameters: dict[str, Any] | None = None,
    client: Any = None,
) -> Any:
    """Starts one run of a compiled pipeline on Kubeflow Pipelines v2; returns the run."""
    client = _kfp_client(client, cloud)
    return client.create_run_from_pipeline_package(
        pipeline_file=str(package),
        arguments=dict(parameters or {}),
        run_name=f"{pipeline_name}-manual",
        experiment_name=pipeline_name,
        pipeline_root=cloud.pipeline_root(pipeline_name),
        enable_caching=True,
        service_account=cloud.service_account or None,
    )


def schedule_on_kfp(
    package: str | Path,
    cloud: CloudSettings,
    pipeline_name: str,
    cron: str,
    parameters: dict[str, Any] | None = None,
    client: Any = None,
) -> Any:
    """Creates a Kubeflow Pipelines recurring run; one run at a time, no catch-up."""
    client = _kfp_client(client, cloud)
    experiment = client.create_experiment(name=pipeline_name)
    return client.create_recurring_run(
        experiment_id=experiment.experiment_id,
        job_name=f"{pipeline_name}-retraining",
        cron_expression=kfp_cron(cron),
        max_concurrency=1,
        no_catchup=True,
        params=dict(parameters or {}),
        pipeline_package_path=str(package),
        pipeline_root=cloud.pipeline_root(pipeline_name),
        enable_caching=True,
        service_account=cloud.service_account or None,
    )

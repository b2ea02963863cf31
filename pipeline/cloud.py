"""Settings for running the same pipeline on Vertex AI Pipelines or Kubeflow Pipelines v2.

One YAML file (see ``configs/cloud.example.yaml``) holds the project, region, bucket, image and
the Dataflow and Vertex options; ``load_cloud_settings`` validates it and names every missing
or wrong field. Everything the cloud runner needs is derived from it here: paths under the
bucket, Beam arguments for Dataflow, and the Vertex training and serving arguments of the TFX
Google Cloud extension.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.config import ConfigError

# Where the Dockerfile puts the project inside the image.
IMAGE_PROJECT_ROOT = "/pipeline"

_IMAGE_URI = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")
_BUCKET = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


@dataclasses.dataclass(frozen=True)
class DataflowSettings:
    """Beam on Dataflow for ExampleGen, StatisticsGen, Transform and Evaluator.

    Attributes:
        enabled: run the Beam-based components on Dataflow (else Beam's DirectRunner inside the
            component's container).
        machine_type: Dataflow worker machine type.
        max_workers: autoscaling ceiling.
        disk_size_gb: worker disk size.
    """

    enabled: bool = True
    machine_type: str = "n1-standard-4"
    max_workers: int = 10
    disk_size_gb: int = 50


@dataclasses.dataclass(frozen=True)
class VertexTrainingSettings:
    """Training as a Vertex AI custom job (the TFX Google Cloud extension's Trainer)."""

    enabled: bool = False
    machine_type: str = "n1-standard-8"
    replica_count: int = 1


@dataclasses.dataclass(frozen=True)
class VertexServingSettings:
    """Pushing to a Vertex AI endpoint (the TFX Google Cloud extension's Pusher)."""

    enabled: bool = False
    endpoint_name: str = "clinical-multitask"
    machine_type: str = "n1-standard-4"
    serving_image_uri: str = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"


@dataclasses.dataclass(frozen=True)
class CloudSettings:
    """Where and how the pipeline runs in Google Cloud.

    Attributes:
        project: the Google Cloud project id.
        region: the region of Vertex AI Pipelines, Dataflow and the custom jobs.
        bucket: ``gs://...``; pipeline root, serving directory and data live below it.
        image_uri: the pipeline image built from ``Dockerfile`` (every component runs in it).
        data_root: the span folders; defaults to ``<bucket>/data/patients``.
        service_account: the service account the pipeline runs as (optional).
        kfp_host: the Kubeflow Pipelines API endpoint, for ``--target kfp``.
    """

    project: str
    region: str
    bucket: str
    image_uri: str
    data_root: str = ""
    service_account: str = ""
    kfp_host: str = ""
    dataflow: DataflowSettings = dataclasses.field(default_factory=DataflowSettings)
    vertex_training: VertexTrainingSettings = dataclasses.field(
        default_factory=VertexTrainingSettings
    )
    vertex_serving: VertexServingSettings = dataclasses.field(default_factory=VertexServingSettings)

    def __post_init__(self) -> None:
        missing = [
            name for name in ("project", "region", "bucket", "image_uri") if not getattr(self, name)
        ]
        if missing:
            raise ConfigError(f"cloud settings: missing required field(s) {missing}")
        if not _BUCKET.match(self.bucket.rstrip("/")):
            raise ConfigError(
                f"cloud settings: bucket must look like gs://name, got {self.bucket!r}"
            )
        if not _IMAGE_URI.match(self.image_uri):
            raise ConfigError(
                "cloud settings: image_uri must be a registry path with a tag or digest, "
                f"e.g. us-docker.pkg.dev/project/repo/image:1.0, got {self.image_uri!r}"
            )
        if self.data_root and not self.data_root.startswith("gs://"):
            raise ConfigError(
                f"cloud settings: data_root must be a gs:// path, got {self.data_root!r}"
            )
        if self.dataflow.max_workers < 1:
            raise ConfigError("cloud settings: dataflow.max_workers must be at least 1")
        if self.vertex_training.replica_count < 1:
            raise ConfigError("cloud settings: vertex_training.replica_count must be at least 1")

    # -- derived paths and arguments ---------------------------------------------------------
    def _under_bucket(self, *parts: str) -> str:
        return "/".join([self.bucket.rstrip("/"), *parts])

    def pipeline_root(self, pipeline_name: str) -> str:
        return self._under_bucket("pipeline_root", pipeline_name)

    def serving_model_dir(self, pipeline_name: str) -> str:
        return self._under_bucket("serving_model", pipeline_name)

    def resolved_data_root(self) -> str:
        return self.data_root or self._under_bucket("data", "patients")

    @property
    def schema_path(self) -> str:
        """The curated schema inside the image (a new image tag is a new Vertex cache key)."""
        return f"{IMAGE_PROJECT_ROOT}/schema/schema.pbtxt"

    def beam_pipeline_args(self) -> list[str]:
        """Beam arguments of the Beam-based components: Dataflow, or DirectRunner in the pod."""
        if not self.dataflow.enabled:
            return [f"--project={self.project}", "--direct_num_workers=0"]
        return [
            "--runner=DataflowRunner",
            f"--project={self.project}",
            f"--region={self.region}",
            f"--temp_location={self._under_bucket('tmp', 'dataflow')}",
            f"--machine_type={self.dataflow.machine_type}",
            f"--max_num_workers={self.dataflow.max_workers}",
            f"--disk_size_gb={self.dataflow.disk_size_gb}",
            # Workers run the pipeline image, so they import this project's modules.
            f"--sdk_container_image={self.image_uri}",
            "--experiments=use_runner_v2",
        ]

    def vertex_training_args(self) -> dict[str, Any] | None:
        """``custom_config`` entries of the extension Trainer, or None for in-pod training."""
        if not self.vertex_training.enabled:
            return None
        return {
            "project": self.project,
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": self.vertex_training.machine_type},
                    "replica_count": self.vertex_training.replica_count,
                    "container_spec": {"image_uri": self.image_uri},
                }
            ],
        }

    def vertex_serving_args(self) -> dict[str, Any] | None:
        """``custom_config`` entries of the extension Pusher, or None to push to the bucket."""
        if not self.vertex_serving.enabled:
            return None
        return {
            "project_id": self.project,
            "endpoint_name": self.vertex_serving.endpoint_name,
            "machine_type": self.vertex_serving.machine_type,
        }


_SECTIONS = {
    "dataflow": DataflowSettings,
    "vertex_training": VertexTrainingSettings,
    "vertex_serving": VertexServingSettings,
}


def cloud_settings_from_dict(data: Mapping[str, Any]) -> CloudSettings:
    """Builds validated settings from plain data.

    Raises:
        ConfigError: naming the unknown, missing or invalid field.
    """
    known = {f.name for f in dataclasses.fields(CloudSettings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"cloud settings: unknown field(s) {unknown}; known: {sorted(known)}")
    kwargs = dict(data)
    for section, cls in _SECTIONS.items():
        if section in kwargs:
            fields = {f.name for f in dataclasses.fields(cls)}
            extra = sorted(set(kwargs[section] or {}) - fields)
            if extra:
                raise ConfigError(f"cloud settings: {section}: unknown field(s) {extra}")
            kwargs[section] = cls(**(kwargs[section] or {}))
    try:
        return CloudSettings(**kwargs)
    except TypeError as error:
        required = ["project", "region", "bucket", "image_uri"]
        missing = [name for name in required if name not in kwargs]
        raise ConfigError(f"cloud settings: missing required field(s) {missing}") from error


def load_cloud_settings(path: str | Path) -> CloudSettings:
    """Reads and validates a cloud settings YAML file.

    Raises:
        FileNotFoundError: if the file does not exist.
        ConfigError: naming the unknown, missing or invalid field.
    """
    import yaml

    text = Path(path).read_text()
    data = yaml.safe_load(text) or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"cloud settings: {path} must hold a mapping")
    return cloud_settings_from_dict(data)

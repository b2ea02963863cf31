"""Compiling for Kubeflow Pipelines v2 / Vertex AI, and submitting and scheduling against fakes.

The compile is real (KubeflowV2DagRunner). The clouds are not here: the Vertex AI SDK and
kfp.Client are replaced by thin fakes that record what they are asked, and every recorded call
is checked against the real SDK's signature so that the fakes cannot drift from it.
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

pytest.importorskip("tfx.v1")

import kubeflow_v2_runner  # noqa: E402
from pipeline.cloud import cloud_settings_from_dict, load_cloud_settings  # noqa: E402
from pipeline.config import ConfigError  # noqa: E402
from pipeline.defaults import DEFAULT_CONFIG, PROJECT_ROOT  # noqa: E402
from pipeline.pipeline import COMPONENT_IDS  # noqa: E402

EXAMPLE_SETTINGS = PROJECT_ROOT / "configs" / "cloud.example.yaml"
IMAGE = "us-central1-docker.pkg.dev/my-gcp-project/pipelines/clinical-multitask:0.1.0"
EXECUTOR_COMMAND = [
    "python",
    "-m",
    "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor",
]
BEAM_COMPONENTS = ("example_gen", "statistics_gen", "transform", "evaluator")


def _settings_file(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(EXAMPLE_SETTINGS.read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("kfp")
    cloud = load_cloud_settings(_settings_file(root))
    files = kubeflow_v2_runner.compile_pipeline(DEFAULT_CONFIG, cloud, root / "build")
    return SimpleNamespace(cloud=cloud, files=files, spec=json.loads(files.vertex_json.read_text()))


@pytest.fixture(scope="module")
def compiled_with_vertex(tmp_path_factory):
    root = tmp_path_factory.mktemp("kfp_vertex")
    settings = _settings_file(
        root, vertex_training={"enabled": True}, vertex_serving={"enabled": True}
    )
    cloud = load_cloud_settings(settings)
    files = kubeflow_v2_runner.compile_pipeline(DEFAULT_CONFIG, cloud, root / "build")
    return json.loads(files.vertex_json.read_text())


def _executors(spec):
    return spec["pipelineSpec"]["deploymentSpec"]["executors"]


def _tasks(spec):
    return spec["pipelineSpec"]["root"]["dag"]["tasks"]


def test_every_local_component_is_in_the_compiled_graph(compiled):
    tasks = set(_tasks(compiled.spec))
    for component_id in COMPONENT_IDS:
        if component_id == "baseline_model_resolver":
            # The compiled graph's baseline is TFX's latest-blessed-model strategy, which the
            # V2 compiler splits into two queries.
            assert {
                "latest_blessed_model_resolver-model-blessing-resolver",
                "latest_blessed_model_resolver-model-resolver",
            } <= tasks
            assert component_id not in tasks
        else:
            assert component_id in tasks, component_id
    assert compiled.spec["displayName"] == DEFAULT_CONFIG.pipeline_name


def test_each_component_runs_our_image_with_the_tfx_v2_entrypoint(compiled):
    for name, executor in _executors(compiled.spec).items():
        if "resolver" in name:
            continue
        container = executor["container"]
        assert container["image"] == IMAGE, name
        assert container["command"] == EXECUTOR_COMMAND, name
    gate = _executors(compiled.spec)["anomalies_gate_executor"]["container"]["args"]
    assert (
        gate[gate.index("--executor_class_path") + 1]
        == "components.anomalies_gate.executor.Executor"
    )
    verdict = _executors(compiled.spec)["gate_verdict_executor"]["container"]["args"]
    assert "components.gate_verdict.executor.Executor" in verdict


def test_resolver_uses_the_supported_latest_blessed_model_queries(compiled):
    executors = _executors(compiled.spec)
    blessing = executors["latest_blessed_model_resolver-model-blessing-resolver_executor"]
    model = executors["latest_blessed_model_resolver-model-resolver_executor"]
    blessing_filter = blessing["resolver"]["outputArtifactQueries"]["model_blessing"]["filter"]
    assert 'schema_title="tfx.ModelBlessing"' in blessing_filter and "blessed" in blessing_filter
    assert "current_model_id" in model["resolver"]["outputArtifactQueries"]["model"]["filter"]


def test_runtime_parameter_and_pipeline_root(compiled):
    spec = compiled.spec
    assert spec["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]["data_root"] == {
        "type": "STRING"
    }
    runtime = spec["runtimeConfig"]
    assert (
        runtime["parameters"]["data_root"]["stringValue"] == "gs://my-clinical-bucket/data/patients"
    )
    assert (
        runtime["gcsOutputDirectory"] == "gs://my-clinical-bucket/pipeline_root/clinical-multitask"
    )
    example_gen = _tasks(spec)["example_gen"]["inputs"]["parameters"]["input_base"]
    assert example_gen == {"componentInputParameter": "data_root"}


def test_dataflow_arguments_reach_the_beam_components(compiled):
    for component in BEAM_COMPONENTS:
        args = _executors(compiled.spec)[f"{component}_executor"]["container"]["args"]
        for expected in (
            "--runner=DataflowRunner",
            "--project=my-gcp-project",
            "--region=us-central1",
            "--temp_location=gs://my-clinical-bucket/tmp/dataflow",
            "--max_num_workers=10",
            f"--sdk_container_image={IMAGE}",
        ):
            assert expected in args, (component, expected)


def test_kfp_package_is_the_pipeline_spec(compiled):
    package = yaml.safe_load(compiled.files.kfp_yaml.read_text())
    assert package == compiled.spec["pipelineSpec"]


def test_vertex_training_and_endpoint_use_the_google_cloud_extension(compiled_with_vertex):
    executors = _executors(compiled_with_vertex)
    trainer = executors["trainer_executor"]["container"]["args"]
    assert "tfx.extensions.google_cloud_ai_platform.trainer.executor.GenericExecutor" in trainer
    pusher = executors["pusher_executor"]["container"]["args"]
    assert "tfx.extensions.google_cloud_ai_platform.pusher.executor.Executor" in pusher
    trainer_task = _tasks(compiled_with_vertex)["trainer"]["inputs"]["parameters"]
    custom_config = json.loads(
        trainer_task["custom_config"]["runtimeValue"]["constantValue"]["stringValue"]
    )
    pools = custom_config["ai_platform_training_args"]["worker_pool_specs"]
    assert pools[0]["container_spec"]["image_uri"] == IMAGE
    assert custom_config["ai_platform_enable_vertex"] is True
    assert custom_config["pipeline_config"]  # the tasks still reach run_fn


def test_cloud_settings_name_what_is_missing_or_wrong():
    with pytest.raises(ConfigError, match=r"missing required field\(s\) \['bucket', 'image_uri'\]"):
        cloud_settings_from_dict({"project": "p", "region": "r"})
    with pytest.raises(ConfigError, match="bucket must look like gs://name"):
        cloud_settings_from_dict(
            {"project": "p", "region": "r", "bucket": "my-bucket", "image_uri": IMAGE}
        )
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['zone'\]"):
        cloud_settings_from_dict(
            {
                "project": "p",
                "region": "r",
                "bucket": "gs://bucket1",
                "image_uri": IMAGE,
                "zone": "a",
            }
        )
    with pytest.raises(ConfigError, match="image_uri must be a registry path with a tag"):
        cloud_settings_from_dict(
            {"project": "p", "region": "r", "bucket": "gs://bucket1", "image_uri": "clinical"}
        )


# -- fakes of the two clients ---------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def record(self, _call: str, **kwargs):
        self.calls.append((_call, kwargs))

    def kwargs(self, name: str) -> dict:
        [found] = [kwargs for call, kwargs in self.calls if call == name]
        return found


class FakeAiplatform:
    """The part of ``google.cloud.aiplatform`` the submit module uses."""

    def __init__(self):
        self.recorder = Recorder()
        recorder = self.recorder

        class PipelineJob:
            def __init__(self, **kwargs):
                recorder.record("PipelineJob", **kwargs)
                self.resource_name = "projects/p/locations/r/pipelineJobs/fake"

            def submit(self, **kwargs):
                recorder.record("submit", **kwargs)

            def create_schedule(self, **kwargs):
                recorder.record("create_schedule", **kwargs)
                return SimpleNamespace(resource_name="projects/p/locations/r/schedules/fake")

        self.PipelineJob = PipelineJob

    def init(self, **kwargs):
        self.recorder.record("init", **kwargs)


class FakeKfpClient:
    def __init__(self):
        self.recorder = Recorder()

    def create_run_from_pipeline_package(self, **kwargs):
        self.recorder.record("create_run_from_pipeline_package", **kwargs)
        return SimpleNamespace(run_id="run-1")

    def create_experiment(self, **kwargs):
        self.recorder.record("create_experiment", **kwargs)
        return SimpleNamespace(experiment_id="experiment-1")

    def create_recurring_run(self, **kwargs):
        self.recorder.record("create_recurring_run", **kwargs)
        return SimpleNamespace(recurring_run_id="recurring-1")


def _assert_matches_real_signature(function, kwargs):
    parameters = inspect.signature(function).parameters
    unknown = set(kwargs) - set(parameters)
    assert not unknown, f"{function.__qualname__} has no parameter(s) {unknown}"


def _run_cli(argv, tmp_path):
    aiplatform, kfp_client = FakeAiplatform(), FakeKfpClient()
    code = kubeflow_v2_runner.main(
        argv + ["--output-dir", str(tmp_path / "build")],
        clients={"aiplatform": aiplatform, "kfp": kfp_client},
    )
    return code, aiplatform.recorder, kfp_client.recorder


def test_submit_to_vertex(tmp_path):
    from google.cloud import aiplatform

    settings = _settings_file(tmp_path, service_account="sa@p.iam.gserviceaccount.com")
    code, vertex, _ = _run_cli(
        [
            "submit",
            "--cloud-config",
            str(settings),
            "--target",
            "vertex",
            "--data-root",
            "gs://my-clinical-bucket/data/other",
        ],
        tmp_path,
    )
    assert code == 0
    assert vertex.kwargs("init") == {"project": "my-gcp-project", "location": "us-central1"}
    job = vertex.kwargs("PipelineJob")
    assert job["template_path"] == str(tmp_path / "build" / "clinical-multitask.json")
    assert json.loads(Path(job["template_path"]).read_text())["displayName"] == "clinical-multitask"
    assert job["pipeline_root"] == "gs://my-clinical-bucket/pipeline_root/clinical-multitask"
    assert job["parameter_values"] == {"data_root": "gs://my-clinical-bucket/data/other"}
    assert vertex.kwargs("submit") == {"service_account": "sa@p.iam.gserviceaccount.com"}
    _assert_matches_real_signature(aiplatform.init, vertex.kwargs("init"))
    _assert_matches_real_signature(aiplatform.PipelineJob.__init__, job)
    _assert_matches_real_signature(aiplatform.PipelineJob.submit, vertex.kwargs("submit"))


def test_submit_to_kfp(tmp_path):
    import kfp

    code, _, kfp_calls = _run_cli(
        ["submit", "--cloud-config", str(_settings_file(tmp_path)), "--target", "kfp"], tmp_path
    )
    assert code == 0
    run = kfp_calls.kwargs("create_run_from_pipeline_package")
    assert run["pipeline_file"] == str(tmp_path / "build" / "clinical-multitask.yaml")
    assert run["experiment_name"] == "clinical-multitask"
    assert run["arguments"] == {}
    _assert_matches_real_signature(kfp.Client.create_run_from_pipeline_package, run)


def test_schedule_on_vertex_runs_one_at_a_time(tmp_path):
    from google.cloud import aiplatform

    code, vertex, _ = _run_cli(
        [
            "schedule",
            "--cloud-config",
            str(_settings_file(tmp_path)),
            "--target",
            "vertex",
            "--cron",
            "0 3 * * 1",
        ],
        tmp_path,
    )
    assert code == 0
    schedule = vertex.kwargs("create_schedule")
    assert schedule["cron"] == "0 3 * * 1"
    assert schedule["max_concurrent_run_count"] == 1
    assert vertex.kwargs("PipelineJob")["template_path"].endswith("clinical-multitask.json")
    _assert_matches_real_signature(aiplatform.PipelineJob.create_schedule, schedule)


def test_schedule_on_kfp_runs_one_at_a_time(tmp_path):
    import kfp

    code, _, kfp_calls = _run_cli(
        [
            "schedule",
            "--cloud-config",
            str(_settings_file(tmp_path)),
            "--target",
            "kfp",
            "--cron",
            "0 3 * * 1",
        ],
        tmp_path,
    )
    assert code == 0
    recurring = kfp_calls.kwargs("create_recurring_run")
    assert recurring["cron_expression"] == "0 0 3 * * 1"  # KFP's cron has seconds first
    assert recurring["max_concurrency"] == 1
    assert recurring["experiment_id"] == "experiment-1"
    assert recurring["pipeline_package_path"].endswith("clinical-multitask.yaml")
    _assert_matches_real_signature(kfp.Client.create_recurring_run, recurring)
    _assert_matches_real_signature(
        kfp.Client.create_experiment, kfp_calls.kwargs("create_experiment")
    )


def test_bad_cron_or_settings_exit_2_with_the_problem_named(tmp_path, capsys):
    settings = _settings_file(tmp_path)
    code, vertex, _ = _run_cli(
        ["schedule", "--cloud-config", str(settings), "--target", "vertex", "--cron", "3am daily"],
        tmp_path,
    )
    assert code == 2 and vertex.calls == []
    assert "cron: '3am daily' must have five fields" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("project: p\nregion: r\n")
    code, _, _ = _run_cli(["compile", "--cloud-config", str(broken)], tmp_path)
    assert code == 2
    assert "missing required field(s) ['bucket', 'image_uri']" in capsys.readouterr().err


def test_every_readme_cloud_command_runs_as_written(tmp_path):
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Running on Vertex AI / Kubeflow", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.strip()
        for line in section.splitlines()
        if line.strip().startswith("uv run python kubeflow_v2_runner.py")
    ]
    assert len(commands) == 5
    settings = _settings_file(tmp_path)
    for command in commands:
        argv = shlex.split(command)[4:]  # after "uv run python kubeflow_v2_runner.py"
        argv = [str(settings) if a == "configs/cloud.yaml" else a for a in argv]
        code, vertex, kfp_calls = _run_cli(argv, tmp_path)
        assert code == 0, command
        if "--target" in argv:
            assert vertex.calls if "vertex" in argv else kfp_calls.calls, command


def test_dockerfile_matches_the_lock_and_ships_the_modules():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    tfx_pin = re.search(r'"tfx==([\d.]+)"', pyproject).group(1)
    assert f"FROM gcr.io/tfx-oss-public/tfx:{tfx_pin}" in dockerfile
    for package in ("pipeline", "components", "schema"):
        assert f"COPY {package}/ ./{package}/" in dockerfile
    lock = (PROJECT_ROOT / "uv.lock").read_text()
    requirements = (PROJECT_ROOT / "docker" / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line and not line.startswith("#")]
    assert pins
    for pin in pins:
        name, version = pin.split("==")
        assert re.search(rf'name = "{re.escape(name)}"\nversion = "{re.escape(version)}"', lock), (
            pin
        )

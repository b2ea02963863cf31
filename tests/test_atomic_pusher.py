"""The atomic Pusher: a version appears whole in the serving directory, or not at all.

TFX's real Pusher executor runs on a tiny model folder; a crash mid-copy is injected by making
the copy of ``saved_model.pb`` fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tfx")
from tfx.proto import pusher_pb2  # noqa: E402
from tfx.types import standard_artifacts  # noqa: E402
from tfx.utils import io_utils, proto_utils  # noqa: E402

from components.atomic_pusher.executor import STAGING, Executor  # noqa: E402
from pipeline.run_summary import pushed_versions  # noqa: E402


def _inputs(tmp_path: Path):
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    serving = tmp_path / "model" / "Format-Serving"
    (serving / "variables").mkdir(parents=True, exist_ok=True)
    (serving / "variables" / "variables.index").write_bytes(b"index")
    (serving / "saved_model.pb").write_bytes(b"graph")
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", 1)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / "pushed_model")
    destination = pusher_pb2.PushDestination(
        filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=str(tmp_path / "serving"))
    )
    return (
        {"model": [model], "model_blessing": [blessing]},
        {"pushed_model": [pushed]},
        {"push_destination": proto_utils.proto_to_json(destination)},
    )


def test_push_lands_whole_in_a_versioned_folder(tmp_path):
    inputs, outputs, properties = _inputs(tmp_path)
    Executor().Do(inputs, outputs, properties)
    [version] = pushed_versions(tmp_path / "serving")
    folder = tmp_path / "serving" / version
    assert (folder / "saved_model.pb").read_bytes() == b"graph"
    assert (folder / "variables" / "variables.index").exists()
    pushed = outputs["pushed_model"][0]
    assert pushed.get_string_custom_property("pushed_destination") == str(folder)
    assert list((tmp_path / "serving" / STAGING).iterdir()) == []


def test_a_push_killed_mid_copy_leaves_no_visible_version(tmp_path, monkeypatch):
    inputs, outputs, properties = _inputs(tmp_path)
    real_copy_file = io_utils.copy_file

    def crash_on_graph(source, destination, *args, **kwargs):
        if str(source).endswith("saved_model.pb"):
            raise OSError("killed mid-copy")
        return real_copy_file(source, destination, *args, **kwargs)

    monkeypatch.setattr(io_utils, "copy_file", crash_on_graph)
    with pytest.raises(OSError, match="killed mid-copy"):
        Executor().Do(inputs, outputs, properties)
    # The partial copy sits in the staging folder, where no model server looks.
    assert pushed_versions(tmp_path / "serving") == []
    assert any((tmp_path / "serving" / STAGING).iterdir())

    monkeypatch.setattr(io_utils, "copy_file", real_copy_file)
    inputs, outputs, properties = _inputs(tmp_path)
    Executor().Do(inputs, outputs, properties)
    assert len(pushed_versions(tmp_path / "serving")) == 1
    assert list((tmp_path / "serving" / STAGING).iterdir()) == []


def test_not_blessed_pushes_nothing(tmp_path):
    inputs, outputs, properties = _inputs(tmp_path)
    inputs["model_blessing"][0].set_int_custom_property("blessed", 0)
    Executor().Do(inputs, outputs, properties)
    assert pushed_versions(tmp_path / "serving") == []
    assert outputs["pushed_model"][0].get_int_custom_property("pushed") == 0

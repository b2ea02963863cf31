"""Dataset config files: loading, the checks against the schema, and the draft command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import ConfigError
from pipeline.config_file import load_config
from pipeline.defaults import DEFAULT_CONFIG, DEFAULT_CONFIG_FILE, PROJECT_ROOT

ICU_CONFIG = PROJECT_ROOT / "configs" / "icu" / "icu.yaml"


def test_bundled_dataset_is_just_the_default_config_file():
    assert DEFAULT_CONFIG == load_config(DEFAULT_CONFIG_FILE)
    assert DEFAULT_CONFIG.data_root == str(PROJECT_ROOT / "data" / "patients")
    assert DEFAULT_CONFIG.schema_path == str(PROJECT_ROOT / "schema" / "schema.pbtxt")
    assert [t.name for t in DEFAULT_CONFIG.tasks] == ["disease_risk", "length_of_stay_days"]


def test_icu_config_uses_other_kinds_options_losses_and_three_tasks():
    config = load_config(ICU_CONFIG)
    assert [(t.name, t.type, t.loss) for t in config.tasks] == [
        ("sepsis", "binary_classification", "default"),
        ("icu_mortality", "binary_classification", "default"),
        ("icu_days", "regression", "huber"),
    ]
    features = {f.name: f for f in config.features}
    assert features["ward_code"].kind == "categorical"  # an integer code
    assert features["lactate_mmol_l"].log
    assert features["wbc_10e9_l"].clip == (0, 40)
    assert features["charlson_index"].bucket_boundaries == (1, 3, 5)
    assert dict(config.splits) == {"train": 12, "validation": 3, "eval": 5}


def _write_variant(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(ICU_CONFIG.read_text())
    data["schema_path"] = str(ICU_CONFIG.parent / "schema.pbtxt")
    data["data_root"] = str(tmp_path)
    edit(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["features"].append({"name": "lactate_peak", "kind": "numeric"}),
            r"features\[9\] \(lactate_peak\): column 'lactate_peak' is not in the schema",
        ),
        (
            lambda d: d["tasks"][2].update(label_column="icu_los"),
            r"tasks\[2\] \(icu_days\)\.label_column: column 'icu_los' is not in the schema",
        ),
        (
            lambda d: d["features"][5].update(kind="categorical"),
            r"features\[5\] \(temperature_c\): column 'temperature_c' is FLOAT in the schema; "
            r"expected BYTES or INT",
        ),
        (
            lambda d: d["tasks"][0].update(type="survival"),
            r"tasks\[0\] \(sepsis\)\.type: unknown task type 'survival'",
        ),
        (
            lambda d: d["tasks"][1].update(metrics=["auc", "c_index"]),
            r"tasks\[1\] \(icu_mortality\)\.metrics: unknown metric 'c_index'",
        ),
        (
            lambda d: d["features"].append({"name": "sepsis", "kind": "binary"}),
            r"tasks\[0\] \(sepsis\)\.label_column: 'sepsis' is also listed as a feature",
        ),
        (
            lambda d: d["features"].append({"name": "gender", "kind": "categorical"}),
            r"features: duplicate name 'gender'",
        ),
        (
            lambda d: d["tasks"][2].update(loss="focal"),
            r"tasks\[2\] \(icu_days\)\.loss: unknown loss 'focal' for a regression task",
        ),
        (
            lambda d: d["features"][1].update(log=True),
            r"features\[1\] \(gender\): log, clip and bucket_boundaries apply to numeric",
        ),
        (
            lambda d: d.update(splits={"train": 10, "eval": 5}),
            r"splits: must give train, validation and eval",
        ),
    ],
)
def test_bad_config_files_are_refused_naming_the_field(tmp_path, edit, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(_write_variant(tmp_path, edit))


def test_runner_exits_2_on_a_refused_config(tmp_path, capsys):
    import local_runner

    path = _write_variant(tmp_path, lambda d: d["tasks"][0].update(type="survival"))
    assert local_runner.main(["--config", str(path), "--output-root", str(tmp_path)]) == 2
    assert "unknown task type 'survival'" in capsys.readouterr().err


@pytest.mark.slow
def test_draft_command_writes_a_config_and_schema_that_load(tmp_path):
    pytest.importorskip("tensorflow_data_validation")
    from patient_data.icu import write_icu_span
    from pipeline import draft

    write_icu_span(tmp_path / "data", span=1, num_rows=300, seed=3)
    code = draft.main(
        [
            "--csv",
            str(tmp_path / "data" / "span-1" / "cohort.csv"),
            "--label",
            "sepsis:binary_classification",
            "--label",
            "icu_days:regression",
            "--id-column",
            "stay_id",
            "--name",
            "drafted-icu",
            "--output-dir",
            str(tmp_path / "drafted"),
        ]
    )
    assert code == 0
    config = load_config(tmp_path / "drafted" / "config.yaml")
    kinds = {f.name: f.kind for f in config.features}
    assert kinds["gender"] == "categorical"
    assert kinds["on_ventilator"] == "binary"
    assert kinds["lactate_mmol_l"] == "numeric"
    assert "stay_id" not in kinds and "sepsis" not in kinds and "icu_days" not in kinds
    assert [t.name for t in config.tasks] == ["sepsis", "icu_days"]
    assert [s.name for s in config.slices] == ["gender"]
    assert config.data_root == str(tmp_path / "data")
    schema_text = (tmp_path / "drafted" / "schema.pbtxt").read_text()
    assert 'not_in_environment: "SERVING"' in schema_text


def test_draft_refuses_an_unknown_label(tmp_path, capsys):
    pytest.importorskip("tensorflow_data_validation")
    from patient_data.icu import write_icu_span
    from pipeline import draft

    write_icu_span(tmp_path / "data", span=1, num_rows=50, seed=3)
    code = draft.main(
        [
            "--csv",
            str(tmp_path / "data" / "span-1" / "cohort.csv"),
            "--label",
            "death:binary_classification",
            "--output-dir",
            str(tmp_path / "d"),
        ]
    )
    assert code == 2
    assert "column 'death' is not in" in capsys.readouterr().err

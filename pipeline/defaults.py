"""The bundled clinical dataset: its configuration file and the project's default paths."""

from __future__ import annotations

from pathlib import Path

from pipeline.config_file import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "configs" / "clinical.yaml"
BUNDLED_DATA_ROOT = PROJECT_ROOT / "data" / "patients"
BUNDLED_TRUTH_ROOT = PROJECT_ROOT / "data" / "ground_truth"
SCHEMA_DIR = PROJECT_ROOT / "schema"
DEFAULT_OUTPUT_ROOT = PROJECT_ROOT / "outputs"

# The bundled dataset goes through the same mechanism as any other: its config file.
DEFAULT_CONFIG = load_config(DEFAULT_CONFIG_FILE)

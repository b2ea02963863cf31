"""Names of transformed features and labels, shared by preprocessing, model and serving."""

from __future__ import annotations

from pipeline.config import Feature, Task


# Transform writes the configuration's vocabularies under these file names.
def vocabulary_name(feature: Feature) -> str:
    """The vocabulary file name of a categorical feature."""
    return f"{feature.name}_vocabulary"


def transformed_name(name: str) -> str:
    """The transformed feature fed to the model for raw column ``name``."""
    return f"{name}_xf"


def missing_indicator_name(name: str) -> str:
    """The 0/1 feature telling the model that raw column ``name`` was missing."""
    return f"{name}_missing_xf"


def transformed_label_name(task: Task) -> str:
    """The transformed label a task's head is trained on."""
    return f"{task.name}_label_xf"

"""The Evaluator's baseline: the newest blessed model that is not the candidate itself.

TFX's ``LatestBlessedModelStrategy`` returns the newest blessed model. After a push, that is the
candidate of the next run when nothing changed (the Trainer is cached), so the Evaluator's
inputs change and it scores one model twice, as candidate and as baseline: at 100k rows that
was 86% of a full run (benchmarks/README.md). Leaving the candidate out keeps the baseline of
the run that trained it, the Evaluator's inputs stay the same and its cache is used.

Whether the candidate is already serving is still known: its own earlier blessing comes back
under ``candidate_blessing`` (empty when it was never blessed), for the gate verdict.

Kubeflow V2's compiler accepts only TFX's two stock strategies; the compiled graph keeps
``LatestBlessedModelStrategy`` (see ``pipeline.pipeline.create_pipeline``).
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.common import resolver

MODEL_KEY = "model"
MODEL_BLESSING_KEY = "model_blessing"
CANDIDATE_KEY = "candidate"
CANDIDATE_BLESSING_KEY = "candidate_blessing"

# The custom properties TFX's Evaluator (and our gate verdict) write on a ModelBlessing.
_BLESSED = "blessed"
_CURRENT_MODEL_ID = "current_model_id"


def resolve_baseline(
    models: list[types.Artifact],
    blessings: list[types.Artifact],
    candidates: list[types.Artifact],
) -> dict[str, list[types.Artifact]]:
    """The newest blessed model other than the candidate, its blessing, and the candidate's own
    blessing if it was blessed before. Pure: the artifacts come from the Resolver."""
    candidate_ids = {c.id for c in candidates}
    blessed = {
        b.get_int_custom_property(_CURRENT_MODEL_ID): b
        for b in sorted(blessings, key=lambda b: b.id)
        if b.get_int_custom_property(_BLESSED) == 1
    }
    result: dict[str, list[types.Artifact]] = {
        MODEL_KEY: [],
        MODEL_BLESSING_KEY: [],
        CANDIDATE_KEY: list(candidates),
        CANDIDATE_BLESSING_KEY: [blessed[i] for i in sorted(candidate_ids) if i in blessed],
    }
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id in blessed and model.id not in candidate_ids:
            result[MODEL_KEY] = [model]
            result[MODEL_BLESSING_KEY] = [blessed[model.id]]
            break
    return result


class PreviousBlessedModelStrategy(resolver.ResolverStrategy):
    """Resolves the newest blessed Model that is not the candidate.

    Channels: ``model`` (all Models), ``model_blessing`` (all ModelBlessings), ``candidate``
    (the Trainer's output) and ``candidate_blessing`` (all ModelBlessings again; the result
    keeps only the candidate's own).
    """

    def resolve_artifacts(self, store, input_dict):  # noqa: D102 - see the class docstring
        return resolve_baseline(
            input_dict.get(MODEL_KEY, []),
            input_dict.get(MODEL_BLESSING_KEY, []),
            input_dict.get(CANDIDATE_KEY, []),
        )

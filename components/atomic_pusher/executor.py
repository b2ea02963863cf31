"""TFX's Pusher executor, writing each version aside and moving it into place, model card in.

TFX's filesystem Pusher copies straight into ``<base>/<version>``: a run killed mid-copy
leaves a partial version a model server may find. Here the copy goes to
``<base>/.staging/<version>`` and is renamed into ``<base>/<version>`` when complete (a rename
within one local filesystem is atomic). Leftovers of a killed push are removed first.
"""

from __future__ import annotations

import os
from typing import Any

from absl import logging
from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.io import fileio
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

STAGING = ".staging"
REPORT_KEY = "report"
# Inside the version, where TF Serving looks for nothing but warm-up requests.
MODEL_CARD_PATH = os.path.join("assets.extra", "model_card.md")


class Executor(pusher_executor.Executor):
    """Pushes through a staging folder, then renames into the serving directory."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        key = standard_component_specs.PUSH_DESTINATION_KEY
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(exec_properties[key], destination)
        if destination.WhichOneof("destination") != "filesystem":
            super().Do(input_dict, output_dict, exec_properties)
            return

        base = destination.filesystem.base_directory
        staging = os.path.join(base, STAGING)
        if fileio.exists(staging):
            fileio.rmtree(staging)  # what a killed push left behind
        fileio.makedirs(staging)
        staged = dict(exec_properties)
        destination.filesystem.base_directory = staging
        staged[key] = proto_utils.proto_to_json(destination)
        super().Do(input_dict, output_dict, staged)

        pushed = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY]
        )
        if pushed.get_int_custom_property("pushed") != 1:
            return
        version = pushed.get_string_custom_property("pushed_version")
        reports = input_dict.get(REPORT_KEY) or []
        if reports:
            card = os.path.join(reports[0].uri, "model_card.md")
            target = os.path.join(staging, version, MODEL_CARD_PATH)
            fileio.makedirs(os.path.dirname(target))
            fileio.copy(card, target, overwrite=True)
        final = os.path.join(base, version)
        fileio.rename(os.path.join(staging, version), final)
        pushed.set_string_custom_property("pushed_destination", final)
        logging.info("AtomicPusher: version %s moved into place at %s", version, final)

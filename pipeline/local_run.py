"""Running the pipeline with LocalDagRunner and SQLite ML Metadata, and saying what happened.

``run_local_pipeline`` is what ``local_runner.py`` calls and what the end-to-end tests call in
process (importing TFX once per test session, not once per run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.config import PipelineConfig

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

# Exit codes of the runner, for cron and CI. Documented in the README.
EXIT_PUSHED = 0  # also "unchanged": nothing new since the last push, nothing done
EXIT_FAILED = 1
EXIT_DATA_REJECTED = 3
EXIT_NOT_BLESSED = 4
EXIT_BUSY = 5

STATUS_EXIT_CODES = {
    "pushed": EXIT_PUSHED,
    "unchanged": EXIT_PUSHED,
    "failed": EXIT_FAILED,
    "data_rejected": EXIT_DATA_REJECTED,
    "not_blessed": EXIT_NOT_BLESSED,
    "busy": EXIT_BUSY,
}
LOCK_FILE = ".run.lock"

# Beam's DirectRunner in this process, one worker. benchmarks/pipeline_scaling.py --beam-mode
# multi_processing measures the alternative: on 2 cores it was slower at every size
# (benchmarks/README.md).
DEFAULT_BEAM_ARGS = ("--direct_running_mode=in_memory", "--direct_num_workers=1")


@dataclasses.dataclass(frozen=True)
class LocalPaths:
    """Where a local run keeps its state, all below one output root."""

    output_root: Path

    @property
    def pipeline_root(self) -> Path:
        return self.output_root / "pipeline_root"

    @property
    def metadata_path(self) -> Path:
        return self.output_root / "metadata.sqlite"

    @property
    def serving_model_dir(self) -> Path:
        return self.output_root / "serving_model"


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """How a local run ended.

    Attributes:
        status: ``pushed``; ``unchanged`` (the served model is already the one this data
            gives: nothing pushed); ``not_blessed``; ``data_rejected``; ``failed``; ``busy``
            (another run holds the output root).
        exit_code: the runner's exit code for that status.
        message: the error message when the run stopped, else ``""``.
        seconds: wall time of the run (after imports).
        component_seconds: wall time per component id, in run order.
        window_spans: with a rolling window, the spans trained on, newest first.
    """

    status: str
    message: str
    seconds: float
    component_seconds: dict[str, float]
    window_spans: tuple[int, ...] = ()

    @property
    def exit_code(self) -> int:
        return STATUS_EXIT_CODES[self.status]


class _ProgressHandler(logging.Handler):
    """Prints one line per component as LocalDagRunner starts and finishes it."""

    def __init__(self, total: int, echo: bool):
        super().__init__(level=logging.INFO)
        self.total = total
        self.echo = echo
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.current: str | None = None
        self.cached: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self._print(f"        {record.levelname}: {record.getMessage()}")
        elif record.msg == "Component %s is running.":
            self.current = str(record.args[0])
            self.started[self.current] = time.monotonic()
            self._print(f"[{len(self.started):2d}/{self.total}] {self.current} ...")
        elif record.msg == "A cached execution %d is used." and self.current:
            self.cached.add(self.current)
        elif record.msg == "Component %s is finished.":
            node = str(record.args[0])
            self.seconds[node] = time.monotonic() - self.started.get(node, time.monotonic())
            how = "cached" if node in self.cached else "done"
            self._print(f"        {node}: {how} in {self.seconds[node]:.1f} s")

    def _print(self, line: str) -> None:
        if self.echo:
            print(line, flush=True)


_SPAN_FOLDER = re.compile(r"^span-(\d+)$")


def spans_under(data_root: Path) -> list[int]:
    """The span numbers of the ``span-<N>`` folders under ``data_root``, ascending."""
    found = (_SPAN_FOLDER.match(p.name) for p in data_root.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def assemble_window(
    data_root: Path, window_root: Path, size: int, accepted: set[int]
) -> tuple[Path, list[int]]:
    """Builds ``window_root/span-<newest>/`` from the newest span and the ``size - 1`` newest
    earlier spans that passed validation.

    Files are copied with their timestamps, so that an unchanged window keeps ExampleGen's
    fingerprint and its cache. Returns the window root and the spans it holds, newest first.
    """
    spans = spans_under(data_root)
    if not spans:
        raise FileNotFoundError(f"no span-<N> folders under {data_root}")
    newest = spans[-1]
    chosen = [newest] + [s for s in reversed(spans[:-1]) if s in accepted][: size - 1]
    if window_root.exists():
        for stale in window_root.iterdir():
            if stale.name != f"span-{newest}":
                shutil.rmtree(stale)
    folder = window_root / f"span-{newest}"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for span in chosen:
        for source in sorted((data_root / f"span-{span}").glob("*.csv")):
            wanted[f"span-{span}-{source.name}"] = source
    for existing in folder.iterdir():
        if existing.name not in wanted:
            existing.unlink()
    for name, source in wanted.items():
        target = folder / name
        stat = source.stat()
        if not target.exists() or (target.stat().st_size, target.stat().st_mtime) != (
            stat.st_size,
            stat.st_mtime,
        ):
            shutil.copy2(source, target)
    return window_root, chosen


def _content_addressed_copy(path: Path, folder: Path) -> Path:
    """Copies ``path`` to ``folder/<sha256 prefix>/<name>`` and returns the copy.

    ImportSchemaGen's cache key is the schema's path, not its content: an edited schema at the
    same path would be silently served from the cache. A path that changes with the content
    makes the edit reach the run.
    """
    content = path.read_bytes()
    target = folder / hashlib.sha256(content).hexdigest()[:16] / path.name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return target


def _describe_error(error: BaseException) -> str:
    """The error and its causes, outermost first, one line each."""
    parts, seen = [], error
    while seen is not None and len(parts) < 5:
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return "\n  caused by ".join(parts)


def _is_data_rejection(error: BaseException) -> bool:
    from components.anomalies_gate import DataRejectedError

    seen = error
    while seen is not None:
        if isinstance(seen, DataRejectedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "Data rejected:" in str(error)


@contextlib.contextmanager
def run_lock(output_root: Path, wait: bool):
    """Holds an exclusive lock on ``output_root`` for one run; yields False if another run
    holds it and ``wait`` is False. ML Metadata's SQLite file is never written by two runs."""
    output_root.mkdir(parents=True, exist_ok=True)
    with open(output_root / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_local_pipeline(
    config: PipelineConfig,
    data_root: str | os.PathLike,
    output_root: str | os.PathLike,
    schema_path: str | os.PathLike,
    *,
    echo: bool = True,
    enable_cache: bool = True,
    verbose: bool = False,
    wait_for_lock: bool = False,
    span_window: int = 1,
    beam_pipeline_args: Sequence[str] = DEFAULT_BEAM_ARGS,
) -> RunOutcome:
    """Runs the whole pipeline once with LocalDagRunner.

    Args:
        config: the pipeline configuration.
        data_root: the folder of ``span-<N>`` folders; the latest span is read.
        output_root: where artifacts, ML Metadata and pushed models are kept across runs.
        schema_path: the curated schema.
        echo: print a progress line per component.
        enable_cache: reuse outputs of components whose inputs did not change.
        verbose: let TFX's own INFO logs through, instead of one progress line per component.
        wait_for_lock: wait for another run on the same output root to finish, instead of
            returning at once with status ``busy``.
        span_window: train and evaluate on the newest span plus up to ``span_window - 1``
            earlier spans that passed validation; the newest span is still validated alone.
        beam_pipeline_args: the Beam options of StatisticsGen, Transform and Evaluator.

    Returns:
        The outcome; errors inside the pipeline are reported in it, not raised.

    Raises:
        FileNotFoundError: if the data root or the schema does not exist.
    """
    data_root, schema_path = Path(data_root), Path(schema_path)
    if not data_root.is_dir():
        raise FileNotFoundError(f"data root {data_root} does not exist")
    if not schema_path.is_file():
        raise FileNotFoundError(f"schema {schema_path} does not exist")
    paths = LocalPaths(Path(output_root).resolve())
    with run_lock(paths.output_root, wait_for_lock) as locked:
        if not locked:
            return RunOutcome(
                status="busy",
                message=f"another run holds {paths.output_root / LOCK_FILE}; try again later",
                seconds=0.0,
                component_seconds={},
            )
        return _run_locked(
            config,
            data_root,
            paths,
            schema_path,
            echo,
            enable_cache,
            verbose,
            span_window,
            list(beam_pipeline_args),
        )


def _run_locked(
    config: PipelineConfig,
    data_root: Path,
    paths: LocalPaths,
    schema_path: Path,
    echo: bool,
    enable_cache: bool,
    verbose: bool,
    span_window: int,
    beam_pipeline_args: list[str],
) -> RunOutcome:
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline
    from pipeline.run_summary import accepted_spans, latest_run, served_model

    if span_window < 1:
        raise ValueError(f"span_window must be at least 1, got {span_window}")
    window_root = None
    if span_window > 1:
        accepted = accepted_spans(paths.metadata_path, config.pipeline_name)
        window_root, window = assemble_window(
            data_root, paths.output_root / "window", span_window, accepted
        )
        if echo:
            print(f"Span window: {', '.join(map(str, window))} (newest first)", flush=True)

    # Drift is measured against the span the served model was trained on.
    served = served_model(paths.metadata_path, config.pipeline_name)
    pipeline = create_pipeline(
        config=config,
        data_root=str(data_root.resolve()),
        schema_path=str(_content_addressed_copy(schema_path, paths.output_root / "schemas")),
        pipeline_root=str(paths.pipeline_root),
        serving_model_dir=str(paths.serving_model_dir),
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(paths.metadata_path)
        ),
        beam_pipeline_args=beam_pipeline_args,
        enable_cache=enable_cache,
        baseline_statistics_uri=served.statistics_uri if served else "",
        window_data_root=str(window_root) if window_root else None,
    )

    absl_logger = logging.getLogger("absl")
    progress = _ProgressHandler(total=len(pipeline.components), echo=echo)
    previous_level, previous_propagate = absl_logger.level, absl_logger.propagate
    absl_logger.setLevel(logging.INFO)
    absl_logger.propagate = verbose
    absl_logger.addHandler(progress)
    # Transform's Beam code calls absl.logging.set_verbosity(), which would drop the runner's
    # INFO progress records for the rest of the run. Keep the level pinned while we run; with
    # propagation off, the INFO records reach only the progress handler.
    absl_logger.setLevel = lambda level: None  # type: ignore[method-assign]
    started = time.monotonic()
    status, message = "pushed", ""
    try:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    except Exception as error:  # noqa: BLE001 - reported in the outcome, with its message
        status = "data_rejected" if _is_data_rejection(error) else "failed"
        message = _describe_error(error)
        if verbose or status == "failed":
            logging.getLogger(__name__).error("The run stopped", exc_info=error)
    finally:
        absl_logger.removeHandler(progress)
        del absl_logger.setLevel  # back to logging.Logger.setLevel
        absl_logger.setLevel(previous_level)
        absl_logger.propagate = previous_propagate
    seconds = time.monotonic() - started

    if status == "pushed":
        run = latest_run(paths.metadata_path, config.pipeline_name)
        pushed = run.components.get("pusher") if run else None
        was_pushed = bool(
            pushed
            and any(p.get("pushed") == 1 for p in pushed.output_properties.get("pushed_model", []))
        )
        verdict = run.components.get("gate_verdict") if run else None
        verdict_properties = verdict.output_properties.get("verdict", [{}])[0] if verdict else {}
        if not was_pushed:
            status = (
                "unchanged" if verdict_properties.get("already_serving") == 1 else "not_blessed"
            )
    return RunOutcome(
        status=status,
        message=message,
        seconds=seconds,
        component_seconds=progress.seconds,
        window_spans=tuple(window) if window_root else (),
    )

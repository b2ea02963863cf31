"""Where every benchmark records what it measured: JSON for machines, Markdown for people.

Each file says which machine and which versions the figures came from, and when.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

_BUSY_THRESHOLD = 0.25

_VERSIONS = (
    "tfx",
    "tensorflow",
    "tensorflow-transform",
    "tensorflow-model-analysis",
    "apache-beam",
)


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all CPUs' time spent busy over the next ``seconds`` (from /proc/stat), or
    None where that cannot be read. Called while this process itself is idle, it measures the
    other work on the machine."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    try:
        total_0, idle_0 = sample()
        time.sleep(seconds)
        total_1, idle_1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_1 - total_0
    return round(1 - (idle_1 - idle_0) / total, 3) if total > 0 else None


def busy_warning() -> str | None:
    """A warning when other work keeps the CPUs busy, else None: a benchmark sharing two
    cores with other work records wrong times."""
    busy = cpu_busy()
    if busy is None or busy <= _BUSY_THRESHOLD:
        return None
    return f"warning: other work keeps the CPUs {busy:.0%} busy; timings taken now will not compare"


def machine() -> dict[str, Any]:
    """The machine and library versions, for the record."""
    memory_gib = None
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError):
        pass
    versions = {}
    for name in _VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        # Machines of one kind can differ in speed: figures compare within one recording.
        "cpu_model": cpu_model,
        "memory_gib": memory_gib,
        "processor": platform.processor() or platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        # Other work on the machine when the figures were recorded (this process idle): above
        # about 25%, something else was running and the timings are not to be trusted.
        "other_cpu_busy_at_end": cpu_busy(),
    }


def machine_line(info: dict[str, Any] | None = None) -> str:
    """One line for a Markdown table's caption."""
    info = info or machine()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    return (
        f"{info['cpus']} CPUs ({info.get('cpu_model') or 'model unknown'}), "
        f"{info['memory_gib']} GiB, {info['system']}, "
        f"Python {info['python']}; {versions}"
    )


def record(output: str | Path, results: Any, table: str) -> None:
    """Prints ``table`` and writes ``<output>.json`` (results with the machine and the time)
    and ``<output>.md`` (the table under a line naming the machine)."""
    info = machine()
    recorded = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    caption = f"Recorded {recorded} on {machine_line(info)}."
    print(table)
    print(caption)
    busy = info["other_cpu_busy_at_end"]
    if busy is not None and busy > _BUSY_THRESHOLD:
        print(f"warning: other work kept the CPUs {busy:.0%} busy as this was recorded")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"recorded": recorded, "machine": info, "results": results}
    output.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    output.with_suffix(".md").write_text(f"{table}\n\n{caption}\n")

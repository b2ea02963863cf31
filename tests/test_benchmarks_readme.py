"""The benchmarks README quotes the recorded result tables, not figures typed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.readme import MissingResults, fill, update

PROJECT = Path(__file__).resolve().parents[1]


def test_a_block_is_replaced_by_its_recorded_table_and_the_prose_stays(tmp_path):
    (tmp_path / "speed.md").write_text("| a | b |\n|---|---|\n| 1 | 2 |\n\nRecorded today.\n")
    text = "Intro.\n\n<!-- results: speed -->\nold figures\n<!-- end results -->\n\nAnalysis.\n"
    filled, names = fill(text, tmp_path)
    assert names == ["speed"]
    assert "old figures" not in filled
    assert filled == (
        "Intro.\n\n<!-- results: speed -->\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nRecorded today."
        "\n\n<!-- end results -->\n\nAnalysis.\n"
    )
    # Filling again with the same results changes nothing.
    assert fill(filled, tmp_path) == (filled, ["speed"])


def test_several_blocks_each_get_their_own_table(tmp_path):
    (tmp_path / "one.md").write_text("first\n")
    (tmp_path / "two.md").write_text("second\n")
    text = (
        "<!-- results: one -->\n<!-- end results -->\nbetween\n"
        "<!-- results: two -->\nx\n<!-- end results -->\n"
    )
    filled, names = fill(text, tmp_path)
    assert names == ["one", "two"]
    assert filled.index("first") < filled.index("between") < filled.index("second")


def test_a_block_without_recorded_results_is_an_error_naming_it(tmp_path):
    with pytest.raises(MissingResults, match="'never_run'"):
        fill("<!-- results: never_run -->\n<!-- end results -->\n", tmp_path)


def test_the_committed_readme_quotes_the_committed_results_verbatim(tmp_path):
    """Whoever commits new results without running the suite's README step fails here."""
    readme = PROJECT / "benchmarks" / "README.md"
    copy = tmp_path / "README.md"
    copy.write_text(readme.read_text())
    names = update(copy, PROJECT / "benchmarks" / "results")
    assert {"pipeline_scaling", "multitask_claim", "baselines", "serving_speed"} <= set(names)
    assert copy.read_text() == readme.read_text()

"""benchmarks/RESULTS.md stays a results page, and the user guide's plots can be redrawn.

RESULTS.md must answer "how fast, how good, on what" on its first screen: one table
per area, each row with the commit it was measured at. The history of every
measurement lives in benchmarks/HISTORY.md. The plots of the user guide are drawn
by benchmarks/plot_results.py from the committed JSON of bench_cpu.py.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "RESULTS.md"
FIRST_SCREEN = 70  # lines: every area's table must start and end within them
# area -> a word its table's first header cell must contain (case-insensitive)
AREAS = {
    "CPU": "cpu",
    "memory": "memory",
    "transform": "transform",
    "most_similar": "most_similar",
    "pretrained": "pretrained",
    "Dask": "dask",
    "GPU": "gpu",
    "phrases": "phrases",
    "neighbours": "neighbours",
}
COMMIT = re.compile(r"\b[0-9a-f]{7,40}\b")


def _tables(lines):
    """[(first line number, [rows as lists of cells])] of the markdown tables in ``lines``."""
    tables, current, start = [], [], None
    for i, line in enumerate(lines + [""]):
        if line.startswith("|"):
            if not current:
                start = i
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            tables.append((start, current))
            current = []
    return tables


def _first_screen_tables():
    lines = RESULTS.read_text(encoding="utf-8").splitlines()
    return [(start, rows) for start, rows in _tables(lines[:FIRST_SCREEN])
            if start + len(rows) < FIRST_SCREEN]


def test_results_page_has_a_table_per_area_on_its_first_screen():
    titles = [rows[0][0].lower() for _, rows in _first_screen_tables()]
    missing = [area for area, word in AREAS.items() if not any(word in t for t in titles)]
    assert not missing, (
        f"RESULTS.md's first {FIRST_SCREEN} lines have no table for {missing}; "
        f"table titles (first header cells) found: {titles}")


def test_every_row_on_the_first_screen_names_its_commit():
    tables = _first_screen_tables()
    assert tables
    for start, rows in tables:
        header, sep, body = rows[0], rows[1], rows[2:]
        assert all(set(c) <= set("-: ") for c in sep), f"line {start + 2}: not a table separator"
        assert "commit" in [c.lower() for c in header], f"table {header[0]!r} has no commit column"
        col = [c.lower() for c in header].index("commit")
        assert body, f"table {header[0]!r} has no rows"
        for row in body:
            assert len(row) == len(header), f"{header[0]!r}: row {row[0]!r} has {len(row)} cells"
            assert COMMIT.search(row[col]), (
                f"{header[0]!r}: row {row[0]!r} has no commit hash ({row[col]!r})")


def test_results_page_is_short_and_points_to_the_history():
    text = RESULTS.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 160, "RESULTS.md is growing into a diary: move it to HISTORY.md"
    assert "HISTORY.md" in text
    assert (BENCH / "HISTORY.md").is_file()


def test_committed_cpu_json_records_where_it_was_measured():
    paths = sorted((BENCH / "results").glob("cpu_*.json"))
    assert paths, "no benchmarks/results/cpu_*.json"
    for path in paths:
        meta = json.loads(path.read_text())["meta"]
        for key in ("commit", "machine", "command"):
            assert meta.get(key), f"{path.name}: meta has no {key}"


@pytest.mark.slow
def test_plot_results_writes_both_pngs(tmp_path):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed")
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(BENCH / "plot_results.py"), "--results", str(BENCH / "results"),
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("bench_speed.png", "bench_quality.png"):
        png = tmp_path / name
        assert png.is_file(), f"{name} not written:\n{result.stdout}\n{result.stderr}"
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000

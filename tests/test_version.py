"""The version is one fact (``skw2v/_version.py``) that everything reporting it reads.

``skw2v --version`` is checked in test_cli.py (test_version), the version that
``skw2v info``/``show_versions()`` print in test_cli.py (test_info) and
test_show_versions.py; this file checks the changelog and the model file against the
same fact.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import skw2v
from skw2v import CBOWVectorizer, load

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = ROOT / "CHANGELOG.md"
DOCS = ROOT / "docs"
# "## [0.2.0] - 2026-12-06" or "## [Unreleased]"
HEADING = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$", re.M)


def released_headings():
    return [(v, date) for v, date in HEADING.findall(CHANGELOG.read_text(encoding="utf-8"))
            if v.lower() != "unreleased"]


def test_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", skw2v.__version__)


def test_changelog_top_release_is_this_version():
    versions = released_headings()
    assert versions, "CHANGELOG.md has no '## [x.y.z] - YYYY-MM-DD' heading"
    version, date = versions[0]
    assert version == skw2v.__version__
    assert date, f"the heading of {version} has no date"


def test_changelog_releases_newest_first_and_dated():
    versions = released_headings()
    keys = [tuple(int(p) for p in v.split(".")) for v, _ in versions]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    dates = [date for _, date in versions]
    assert all(dates) and dates == sorted(dates, reverse=True)
    assert "0.1.0" in [v for v, _ in versions]


def test_changelog_is_in_the_docs():
    page = (DOCS / "changelog.rst").read_text(encoding="utf-8")
    assert re.search(r"^\.\. (literalinclude|include):: \.\./CHANGELOG\.md$", page, re.M)
    toctree = (DOCS / "index.rst").read_text(encoding="utf-8").split(".. toctree::")[1]
    assert re.search(r"^   changelog$", toctree, re.M)
    assert "(CHANGELOG.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("estimator", ["local", "dask"])
def test_model_file_records_this_version(tmp_path, estimator):
    if estimator == "dask":
        pytest.importorskip("distributed")
        from skw2v.dask import CBOWVectorizer as Estimator
    else:
        Estimator = CBOWVectorizer
    docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
    est = Estimator(vector_size=8, min_count=1, epochs=1, n_jobs=1, random_state=0).fit(docs)
    path = tmp_path / "m.skw2v"
    est.save(path)
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["metadata"].tobytes().decode("utf-8"))
    assert meta["skw2v_version"] == skw2v.__version__
    assert isinstance(load(path), CBOWVectorizer)

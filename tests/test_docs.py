"""The documentation works: the Sphinx build, the docstring examples, the example scripts."""

import doctest
import importlib
import importlib.util
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import skw2v

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
# Examples that need a download or minutes of training; run them by hand.
SLOW_EXAMPLES = {"textbook_ptb.py"}
# Modules whose import needs an optional dependency; their doctests skip without it.
OPTIONAL_IMPORTS = {"cupy", "matplotlib"}


def _env():
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run(args, cwd, timeout):
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


# ------------------------------------------------------------------- sphinx
@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install 'skw2v[docs]')")
    result = _run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, (
        f"sphinx -W failed (exit {result.returncode}):\n{result.stderr}\n{result.stdout}"
    )
    for page in ("index", "user_guide", "pretrained", "cluster", "api", "examples", "cli"):
        assert (tmp_path / "html" / f"{page}.html").is_file()


# ----------------------------------------------------------------- doctests
def _module_names():
    names = ["skw2v"]
    for info in pkgutil.walk_packages(skw2v.__path__, prefix="skw2v."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


def _import_or_skip(name):
    try:
        return importlib.import_module(name)
    except ImportError as err:
        missing = (getattr(err, "name", None) or "").split(".")[0]
        if missing in OPTIONAL_IMPORTS:
            pytest.skip(f"{name} needs {missing}")
        raise


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples(name):
    module = _import_or_skip(name)
    if name == "skw2v.plotting" and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("skw2v.plotting's examples need matplotlib")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append, clear_globs=True)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} failing example(s) in {name}:\n" + "".join(
        report
    )


def test_public_api_has_examples():
    """The main entry points show how they are called, as the docs promise."""
    from skw2v import datasets

    objects = [skw2v.CBOWVectorizer, skw2v.EmbeddingVectorizer, skw2v.KeyedVectors, skw2v.UnigramSampler,
               skw2v.LineCorpus, skw2v.evaluate_word_analogies, skw2v.evaluate_word_pairs]
    objects += [getattr(datasets, n) for n in datasets.__all__]
    if importlib.util.find_spec("matplotlib") is not None:
        from skw2v import plotting

        objects += [getattr(plotting, n) for n in plotting.__all__]
    missing = [obj.__qualname__ for obj in objects if ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"no doctest example in the docstring of {missing}"


# ---------------------------------------------------------- example scripts
def _example_scripts():
    return sorted(p.name for p in EXAMPLES.glob("*.py") if p.name not in SLOW_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("script", _example_scripts())
def test_example_script_runs(script, tmp_path):
    if script == "plotting.py" and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("examples/plotting.py needs matplotlib")
    result = _run([sys.executable, str(EXAMPLES / script)], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, (
        f"examples/{script} failed (exit {result.returncode}):\n{result.stderr}"
    )
    assert result.stdout.strip(), f"examples/{script} printed nothing"
    if script == "plotting.py":
        for png in ("loss_curve.png", "word_map.png"):
            with open(tmp_path / png, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"

"""Tests for skw2v.plotting: headless rendering, contents of the plots, errors."""

import importlib
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skw2v import CBOWVectorizer, KeyedVectors
from skw2v.datasets import make_analogy_corpus

pytest.importorskip("matplotlib")

from matplotlib.image import imread  # noqa: E402

from skw2v.plotting import plot_loss_curve, plot_words  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fitted():
    docs, analogies = make_analogy_corpus(5000, 6, random_state=0)
    vec = CBOWVectorizer(vector_size=20, epochs=2, min_count=2, n_jobs=1, random_state=0)
    vec.fit(docs)
    # The a, b words of the first pairs of two relations: 12 distinct words.
    words = list(dict.fromkeys(w for quad in analogies[::30][:6] for w in quad[:2]))
    return vec, words


def assert_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    # Something was drawn: not a single flat colour.
    assert image.std() > 0


def test_plot_loss_curve_renders_png(fitted, tmp_path):
    vec, _ = fitted
    ax = plot_loss_curve(vec)
    (line,) = ax.lines
    assert len(line.get_xdata()) == len(vec.loss_curve_) == 2
    np.testing.assert_allclose(line.get_ydata(), vec.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    path = tmp_path / "loss.png"
    ax.figure.savefig(path)
    assert_png(path)


def test_plot_loss_curve_accepts_losses_and_ax(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_loss_curve([3.0, 2.5, 2.2, 2.1], ax=ax) is ax
    assert len(ax.lines[0].get_xdata()) == 4


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]]])
def test_plot_loss_curve_rejects_bad_losses(bad):
    with pytest.raises(ValueError, match="loss"):
        plot_loss_curve(bad)


def test_plot_loss_curve_unfitted():
    with pytest.raises(NotFittedError):
        plot_loss_curve(CBOWVectorizer())


@pytest.mark.parametrize("method", ["pca", "tsne"])
@pytest.mark.parametrize("source", ["estimator", "wv"])
def test_plot_words_renders_png(fitted, tmp_path, method, source):
    vec, words = fitted
    model = vec if source == "estimator" else vec.wv_
    ax = plot_words(model, words, method=method, random_state=0)
    (scatter,) = ax.collections
    offsets = np.asarray(scatter.get_offsets())
    assert offsets.shape == (len(words), 2)
    assert np.isfinite(offsets).all()
    assert [t.get_text() for t in ax.texts] == words
    path = tmp_path / f"words_{method}.png"
    ax.figure.savefig(path)
    assert_png(path)


def test_plot_words_pca_matches_sklearn(fitted):
    from sklearn.decomposition import PCA

    vec, words = fitted
    ax = plot_words(vec, words, method="pca", annotate=False)
    assert len(ax.texts) == 0
    unit = np.stack([vec.wv_.get_vector(w, norm=True) for w in words]).astype(np.float64)
    expected = PCA(n_components=2).fit_transform(unit)
    got = np.asarray(ax.collections[0].get_offsets())
    # PCA components are defined up to sign.
    for k in range(2):
        sign = np.sign(got[:, k] @ expected[:, k])
        np.testing.assert_allclose(got[:, k], sign * expected[:, k], atol=1e-6)


def test_plot_words_tsne_few_words_and_reproducible():
    kv = KeyedVectors(list("abc"), np.random.RandomState(0).rand(3, 4))
    first = plot_words(kv, list("abc"), method="tsne", random_state=0)
    again = plot_words(kv, list("abc"), method="tsne", random_state=0)
    np.testing.assert_array_equal(first.collections[0].get_offsets(),
                                  again.collections[0].get_offsets())


def test_plot_words_unknown_words_named(fitted):
    vec, words = fitted
    with pytest.raises(KeyError, match="nosuchword.*othermissing"):
        plot_words(vec, [words[0], "nosuchword", "othermissing"])


@pytest.mark.parametrize(
    "words, error, match",
    [
        ("cat", TypeError, "single str"),
        (["cat"], ValueError, "at least 2"),
        (["cat", "cat", "dog"], ValueError, "repeated"),
        (["cat", 3], TypeError, "position 1"),
    ],
)
def test_plot_words_bad_words(words, error, match):
    kv = KeyedVectors(["cat", "dog"], np.eye(2))
    with pytest.raises(error, match=match):
        plot_words(kv, words)


def test_plot_words_bad_arguments():
    kv = KeyedVectors(["cat", "dog"], np.eye(2))
    with pytest.raises(ValueError, match="method"):
        plot_words(kv, ["cat", "dog"], method="umap")
    with pytest.raises(TypeError, match="KeyedVectors"):
        plot_words(np.eye(2), ["cat", "dog"])
    with pytest.raises(NotFittedError):
        plot_words(CBOWVectorizer(), ["cat", "dog"])


def test_without_matplotlib(monkeypatch):
    """The module imports without matplotlib; calling a function says what to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "skw2v.plotting")
    module = importlib.import_module("skw2v.plotting")
    kv = KeyedVectors(["cat", "dog"], np.eye(2))
    with pytest.raises(ImportError, match=r"pip install 'skw2v\[plot\]'"):
        module.plot_loss_curve([1.0, 0.5])
    with pytest.raises(ImportError, match=r"skw2v\[plot\]"):
        module.plot_words(kv, ["cat", "dog"])

"""Plots of a trained model: the loss curve and a 2-D map of chosen words.

matplotlib is optional (``pip install 'skw2v[plot]'``): this module imports
without it, and each function raises ImportError when called without it.

No function here touches pyplot's global state, opens a window or picks a
backend. Pass an existing ``ax`` to draw into your own figure; otherwise a
new :class:`matplotlib.figure.Figure` is created, which works headless:
save it with ``ax.figure.savefig(path)``, or show it in a notebook by
evaluating ``ax.figure``.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._keyedvectors import KeyedVectors

__all__ = ["plot_loss_curve", "plot_words"]

_INSTALL_HINT = "plotting needs matplotlib: pip install 'skw2v[plot]'"


def _axes(ax):
    """``ax``, or a fresh Axes on a pyplot-free Figure; ImportError without matplotlib."""
    try:
        # Import the package itself first: a cached ``matplotlib.figure``
        # must not hide that matplotlib is unavailable.
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    if ax is None:
        ax = Figure(layout="constrained").add_subplot()
    return ax


def _losses(estimator_or_losses):
    """The per-epoch losses of a fitted estimator, or the given sequence."""
    if hasattr(estimator_or_losses, "get_params"):
        check_is_fitted(estimator_or_losses, "loss_curve_")
        losses = estimator_or_losses.loss_curve_
    else:
        losses = estimator_or_losses
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(
            "Expected a fitted estimator with loss_curve_ or a non-empty 1-D "
            f"sequence of losses, got an array of shape {losses.shape}."
        )
    return losses


def plot_loss_curve(estimator_or_losses, ax=None):
    """Plot the mean training loss of every epoch.

    Parameters
    ----------
    estimator_or_losses : CBOWVectorizer or sequence of float
        A fitted estimator (its ``loss_curve_`` is plotted, including the
        epochs of every :meth:`~skw2v.CBOWVectorizer.partial_fit` call) or the
        losses themselves, one per epoch.
    ax : matplotlib.axes.Axes, default=None
        Where to draw. By default, a new figure is created (without pyplot).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes holding one line with a point per epoch.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    sklearn.exceptions.NotFittedError
        If an estimator is given before it is fitted.

    See Also
    --------
    plot_words : 2-D map of word vectors.

    Examples
    --------
    >>> from skw2v import CBOWVectorizer
    >>> from skw2v.datasets import make_topic_corpus
    >>> from skw2v.plotting import plot_loss_curve
    >>> docs, _ = make_topic_corpus(100, random_state=0)
    >>> vec = CBOWVectorizer(vector_size=10, min_count=2, epochs=3, n_jobs=1,
    ...                      random_state=0).fit(docs)
    >>> ax = plot_loss_curve(vec)
    >>> len(ax.lines[0].get_xdata())
    3
    >>> ax.get_xlabel()
    'epoch'
    """
    losses = _losses(estimator_or_losses)
    ax = _axes(ax)
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, losses.size + 1)
    ax.plot(epochs, losses, marker="o", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss per target word")
    ax.set_title("CBOW training loss")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
    return ax


def _keyed_vectors(wv_or_estimator):
    if isinstance(wv_or_estimator, KeyedVectors):
        return wv_or_estimator
    if hasattr(wv_or_estimator, "get_params"):
        check_is_fitted(wv_or_estimator, "wv_")
        return wv_or_estimator.wv_
    raise TypeError(
        "Expected a KeyedVectors or a fitted CBOWVectorizer, got "
        f"{type(wv_or_estimator).__name__}."
    )


def _check_words(kv, words):
    """The words as a list; KeyError naming every unknown one."""
    if isinstance(words, str):
        raise TypeError(
            "words must be a list of words, not a single str; use [word]."
        )
    words = list(words)
    if len(words) < 2:
        raise ValueError(f"plot_words needs at least 2 words, got {len(words)}.")
    for pos, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(
                f"words must be str; word at position {pos} is {type(word).__name__}."
            )
    seen, dups = set(), []
    for word in words:
        if word in seen and word not in dups:
            dups.append(word)
        seen.add(word)
    if dups:
        raise ValueError(f"words must be unique; repeated: {dups}.")
    missing = [w for w in words if w not in kv]
    if missing:
        raise KeyError(f"words not in vocabulary: {missing}")
    return words


def _project(vectors, method, random_state):
    """2-D coordinates of the rows of ``vectors`` and the axis labels."""
    n, dim = vectors.shape
    if method == "pca":
        from sklearn.decomposition import PCA

        n_components = min(2, n, dim)
        pca = PCA(n_components=n_components, random_state=random_state)
        coords = pca.fit_transform(vectors)
        ratios = list(pca.explained_variance_ratio_) + [0.0] * (2 - n_components)
        coords = np.hstack([coords, np.zeros((n, 2 - n_components))])
        labels = [f"PC{i + 1} ({100 * r:.1f}% of variance)" for i, r in enumerate(ratios)]
        return coords, labels
    from sklearn.manifold import TSNE

    # TSNE requires perplexity < n_samples; 30 is its usual default.
    perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca",
                random_state=random_state)
    return tsne.fit_transform(vectors), ["t-SNE 1", "t-SNE 2"]


def plot_words(wv_or_estimator, words, method="pca", ax=None, random_state=None,
               annotate=True):
    """Scatter chosen words in 2-D (PCA or t-SNE of their unit vectors).

    The words' vectors are normalised to unit length first, so that the map
    reflects cosine similarity, the measure behind
    :meth:`~skw2v.KeyedVectors.most_similar`.

    Parameters
    ----------
    wv_or_estimator : KeyedVectors or CBOWVectorizer
        Word vectors, or a fitted estimator whose ``wv_`` is used.
    words : sequence of str
        At least two distinct words, all in the vocabulary.
    method : {"pca", "tsne"}, default="pca"
        :class:`~sklearn.decomposition.PCA`, or
        :class:`~sklearn.manifold.TSNE` with the perplexity set to
        ``min(30, max(1, (len(words) - 1) / 3))`` so that it suits the
        number of words.
    ax : matplotlib.axes.Axes, default=None
        Where to draw. By default, a new figure is created (without pyplot).
    random_state : int, RandomState instance or None, default=None
        Seed of the projection (t-SNE is random; PCA barely).
    annotate : bool, default=True
        Label every point with its word.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes holding one scatter collection with a point per word, in
        the order of ``words``, and (with ``annotate``) one text per word.

    Raises
    ------
    KeyError
        Naming every word that is not in the vocabulary.
    ImportError
        If matplotlib is not installed.

    See Also
    --------
    plot_loss_curve : The training loss per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skw2v import KeyedVectors
    >>> from skw2v.plotting import plot_words
    >>> kv = KeyedVectors(["cat", "dog", "car", "bus"],
    ...                   np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0.2], [0, 0.9, 0.3]]))
    >>> ax = plot_words(kv, ["cat", "dog", "car", "bus"])
    >>> [t.get_text() for t in ax.texts]
    ['cat', 'dog', 'car', 'bus']
    >>> ax.collections[0].get_offsets().shape
    (4, 2)
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
    if not isinstance(random_state, (type(None), Integral, np.random.RandomState)):
        raise TypeError(
            f"random_state must be None, an int or a RandomState, got {random_state!r}."
        )
    kv = _keyed_vectors(wv_or_estimator)
    words = _check_words(kv, words)
    ax = _axes(ax)
    vectors = np.stack([kv.get_vector(w, norm=True) for w in words]).astype(np.float64)
    coords, (xlabel, ylabel) = _project(vectors, method, check_random_state(random_state))
    ax.scatter(coords[:, 0], coords[:, 1], s=20)
    if annotate:
        for word, (x, y) in zip(words, coords):
            ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points",
                        fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{'PCA' if method == 'pca' else 't-SNE'} of {len(words)} word vectors")
    return ax

"""skw2v on a Dask cluster: ``skw2v.dask.CBOWVectorizer`` (``pip install 'skw2v[dask]'``).

The same estimator as :class:`skw2v.CBOWVectorizer`, trained on the workers
of a ``dask.distributed`` cluster from a ``dask.bag`` of documents or a dask
dataframe text column; fitted, it is a plain local model. ``transform`` of a
dask collection is a lazy dask array.
"""

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
except ImportError as err:
    raise ImportError(
        f"skw2v.dask needs dask.distributed ({err}). Install it with "
        "pip install 'skw2v[dask]' (or pip install 'dask[distributed]').") from err

from ._vectorizer import CBOWVectorizer

__all__ = ["CBOWVectorizer"]

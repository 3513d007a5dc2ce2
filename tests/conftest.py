import os

import pytest

GENSIM_DATA = None
try:
    import gensim

    GENSIM_DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
except ImportError:  # gensim is a test extra; tests needing its data skip
    pass


def gensim_data(name):
    """Path of a file shipped in gensim's test data (skip if gensim is missing)."""
    if GENSIM_DATA is None:
        pytest.skip("gensim (test extra) is not installed")
    return os.path.join(GENSIM_DATA, name)


@pytest.fixture(scope="session")
def lee_docs():
    """gensim's lee_background.cor: 300 real English news documents (~60k tokens)."""
    with open(gensim_data("lee_background.cor"), encoding="utf-8") as f:
        return f.read().splitlines()

import os

# CUDA kernels run in numba's CUDA simulator in this suite (set before numba is
# imported): CI has no GPU. On a GPU machine run the `gpu` tests on the device
# with NUMBA_ENABLE_CUDASIM=0 python -m pytest -m gpu.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

# Converted pretrained vectors go to a folder of this run, not the user's data home
# (set in the environment, so that worker processes use it too).
if "SKW2V_VECTORS_CACHE" not in os.environ:
    os.environ["SKW2V_VECTORS_CACHE"] = tempfile.mkdtemp(prefix="skw2v-test-vectors-")
    atexit.register(shutil.rmtree, os.environ["SKW2V_VECTORS_CACHE"], ignore_errors=True)

import pytest  # noqa: E402

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


@pytest.fixture(scope="session")
def english_docs(lee_docs):
    """Real English from gensim's wheel: 106 Wikipedia articles (~450k tokens) + lee_background.

    The articles are extracted from gensim's shipped dump with gensim's own
    WikiCorpus (lower-cased tokens), so no download is needed.
    """
    dump = gensim_data("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    from gensim.corpora.wikicorpus import WikiCorpus  # after gensim_data, which skips without it

    wiki = WikiCorpus(dump, dictionary={}, processes=1)
    return list(wiki.get_texts()) + lee_docs


@pytest.fixture(scope="session")
def gkv():
    """gensim's shipped lee_fasttext.vec, loaded by gensim itself."""
    path = gensim_data("lee_fasttext.vec")
    from gensim.models import KeyedVectors as GensimKV  # after gensim_data, which skips without it

    return GensimKV.load_word2vec_format(path)


@pytest.fixture(scope="session")
def kv(gkv):
    """The same vectors as an skw2v KeyedVectors."""
    from skw2v import KeyedVectors

    return KeyedVectors(gkv.index_to_key, gkv.vectors)


def real_gpu():
    """True when CuPy sees a CUDA device and the simulator is off (NUMBA_ENABLE_CUDASIM=0)."""
    from skw2v._device import cuda_simulated, gpu_available

    return not cuda_simulated() and gpu_available()


needs_gpu = pytest.mark.skipif(not real_gpu(), reason="needs CuPy, a CUDA device and "
                               "NUMBA_ENABLE_CUDASIM=0 (the suite simulates CUDA by default)")

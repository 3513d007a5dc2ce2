"""skw2v: word2vec CBOW with negative sampling as a scikit-learn estimator."""

from . import _jit  # noqa: F401  (announces kernel compilation)
from ._corpus import LineCorpus
from ._embedding import EmbeddingVectorizer
from ._evaluate import evaluate_word_analogies, evaluate_word_pairs
from ._keyedvectors import KeyedVectors
from ._phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from ._sampler import UnigramSampler
from ._show_versions import show_versions
from ._vectorizer import CBOWVectorizer, load
from ._version import __version__
from ._vocab import Vocabulary

__all__ = [
    "CBOWVectorizer",
    "ENGLISH_CONNECTOR_WORDS",
    "EmbeddingVectorizer",
    "KeyedVectors",
    "LineCorpus",
    "Phrases",
    "UnigramSampler",
    "Vocabulary",
    "evaluate_word_analogies",
    "evaluate_word_pairs",
    "load",
    "show_versions",
]

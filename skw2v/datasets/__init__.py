"""Corpora for skw2v: synthetic generators and cached downloads."""

from ._base import clear_data_home, get_data_home
from ._ptb import fetch_ptb
from ._synthetic import make_analogy_corpus, make_topic_corpus, make_zipf_corpus

__all__ = [
    "clear_data_home",
    "fetch_ptb",
    "get_data_home",
    "make_analogy_corpus",
    "make_topic_corpus",
    "make_zipf_corpus",
]

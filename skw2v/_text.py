"""What the text vectorizers share: tokenization parameters, document vectors, word queries.

:class:`~skw2v.CBOWVectorizer` trains its word vectors, :class:`~skw2v.EmbeddingVectorizer`
loads them; both tokenize documents the same way and turn them into vectors the same way.
"""

from sklearn.base import TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._aggregate import AGGREGATIONS, aggregate
from ._analyzer import build_analyzer, check_corpus
from ._corpus import encode_known

# The tokenization parameters of CountVectorizer that both estimators take, constrained alike.
TOKENIZATION_CONSTRAINTS = {
    "token_pattern": [str, None],
    "tokenizer": [callable, None],
    "preprocessor": [callable, None],
    "stop_words": [StrOptions({"english"}), list, None],
    "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
}
AGG_CONSTRAINT = [StrOptions(set(AGGREGATIONS))]


class TokenizationMixin:
    """``build_analyzer`` and the input tags of an estimator that takes raw text or token
    lists: it provides the tokenization parameters and ``_lowercase()`` (the lower-casing
    its analyzer applies)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def build_analyzer(self):
        """Return the callable that turns a str document into tokens."""
        return self._analyzer(self._lowercase())

    def _analyzer(self, lowercase):
        return build_analyzer(lowercase, self.token_pattern, self.tokenizer,
                              self.preprocessor, self.stop_words, self.strip_accents)


class WordVectorsMixin(TokenizationMixin, TransformerMixin):
    """Tokenization, ``transform``'s aggregation and word queries over ``self.wv_``.

    A TransformerMixin, so that scikit-learn wraps the ``transform`` defined
    here for ``set_output``.

    The estimator provides ``wv_`` (a KeyedVectors), ``agg``, the tokenization
    parameters, ``_lowercase()`` (the lower-casing its analyzer applies) and
    ``_aggregation_inputs()``: the word counts and SIF common component of a fit.
    """

    def transform(self, X):
        """Turn documents into dense vectors.

        Parameters
        ----------
        X : iterable of str or of token lists

        Returns
        -------
        X_new : ndarray of shape (n_docs, vector_size), float32
            One row per document (``2 * vector_size`` columns for
            ``agg="minmax"``). Unknown words are skipped; a document without
            known words gives a row of zeros.
        """
        counts, sif_component = self._aggregation_inputs()  # checks that it is fitted
        wv = self.wv_
        ids, indptr = encode_known(check_corpus(X), self.build_analyzer(), wv.key_to_index)
        return aggregate(ids, indptr, wv.vectors, self.agg, counts,
                         sif_component).astype("float32", copy=False)

    @property
    def _n_features_out(self):
        return self.wv_.vector_size * AGGREGATIONS[self.agg].width

    def most_similar(self, positive=None, negative=None, topn=10):
        """Words closest to the mean of ``positive`` minus ``negative`` (3CosAdd).

        See :meth:`KeyedVectors.most_similar`; unknown words raise KeyError.
        """
        check_is_fitted(self)
        return self.wv_.most_similar(positive=positive, negative=negative, topn=topn)

    def similarity(self, w1, w2):
        """Cosine similarity of two words."""
        check_is_fitted(self)
        return self.wv_.similarity(w1, w2)

    def doesnt_match(self, words):
        """The word furthest from the mean of ``words``."""
        check_is_fitted(self)
        return self.wv_.doesnt_match(words)

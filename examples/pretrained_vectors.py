"""Pretrained vectors: a vectors file as a pipeline step, then training that starts from it.

Vectors trained on a larger corpus stand in for the published ones one would
download: they are written in the word2vec binary format (as GoogleNews' are).
The file then serves as an :class:`~skw2v.EmbeddingVectorizer` step in a grid
search whose workers each load it once, and as the starting point of a
``CBOWVectorizer`` trained on the task's text with those vectors frozen.

Run with ``python examples/pretrained_vectors.py`` (a few seconds).
"""

import os
import pickle
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skw2v import CBOWVectorizer, EmbeddingVectorizer
from skw2v.datasets import make_topic_corpus

folder = tempfile.mkdtemp()
texts, labels = make_topic_corpus(n_docs=2600, n_topics=5, random_state=0)
general, docs, y = texts[:2000], texts[2000:], labels[2000:]
published = os.path.join(folder, "vectors.bin")
CBOWVectorizer(vector_size=50, min_count=2, epochs=10, random_state=0).fit(
    general).wv_.save_word2vec_format(published, binary=True)

# A pipeline step over the file; the grid's clones and workers share one copy.
pipe = make_pipeline(EmbeddingVectorizer(published, cache_dir=folder),
                     LogisticRegression(max_iter=1000))
search = GridSearchCV(pipe, {"embeddingvectorizer__agg": ["mean", "max", "sif"]}, cv=3,
                      n_jobs=2).fit(docs, y)
print(f"best aggregation: {search.best_params_['embeddingvectorizer__agg']}, "
      f"cross-validated accuracy {search.best_score_:.3f}")
step = search.best_estimator_[0]
print(f"{len(step.wv_)} pretrained words; {step.oov_rate_:.1%} of the tokens unknown; "
      f"pickled step: {len(pickle.dumps(step)):,} bytes "
      f"(the vectors are {step.wv_.vectors.nbytes:,})")

# Training on the task's own text from the published vectors, frozen: the words
# the file has keep their vectors; the others and the output weights learn.
tuned = CBOWVectorizer(vector_size=50, min_count=2, epochs=10, init_vectors=published,
                       lock_init_vectors=True, n_jobs=1, random_state=0).fit(docs)
frozen = [w for w in tuned.wv_.index_to_key if w in step.wv_]
print(f"{len(frozen)} of {len(tuned.wv_)} words started from the file and kept their vectors "
      f"bit for bit: {np.array_equal(tuned.wv_[frozen], step.wv_[frozen])}")

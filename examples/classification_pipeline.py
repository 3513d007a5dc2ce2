"""Text classification: CBOWVectorizer as a step of a scikit-learn Pipeline.

The documents of ``make_topic_corpus`` are labelled by their topic. The
pipeline learns word vectors on the training documents only (inside each
cross-validation split), averages them into document vectors and fits a
logistic regression on those; a grid search then tunes the vectorizer.

Run with ``python examples/classification_pipeline.py`` (a few seconds).
"""

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline

from skw2v import CBOWVectorizer
from skw2v.datasets import make_topic_corpus

docs, y = make_topic_corpus(n_docs=1000, n_topics=5, random_state=0)
docs_train, docs_test, y_train, y_test = train_test_split(
    docs, y, test_size=0.25, stratify=y, random_state=0
)

pipe = make_pipeline(
    CBOWVectorizer(vector_size=50, window=5, min_count=2, epochs=10,
                   n_jobs=1, random_state=0),
    LogisticRegression(max_iter=1000),
)
pipe.fit(docs_train, y_train)
print(f"held-out accuracy: {pipe.score(docs_test, y_test):.3f}")

scores = cross_val_score(pipe, docs, y, cv=3)
print(f"3-fold cross-validation accuracy: {scores.mean():.3f} +/- {scores.std():.3f}")

# Its parameters tune like any other step's: here the window and the
# document aggregation, scored by the classifier's cross-validated accuracy.
search = GridSearchCV(
    pipe,
    {"cbowvectorizer__window": [2, 5], "cbowvectorizer__agg": ["mean", "sif"]},
    cv=3,
)
search.fit(docs_train, y_train)
print(f"best parameters: {search.best_params_}, "
      f"cross-validated accuracy {search.best_score_:.3f}")

# The fitted vectorizer is an ordinary pipeline step.
vec = pipe[0]
print(f"{len(vec.wv_)} words, loss per epoch: "
      + ", ".join(f"{loss:.3f}" for loss in vec.loss_curve_))

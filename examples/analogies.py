"""Word analogies: train on a corpus with planted analogies and evaluate.

``make_analogy_corpus`` plants five relations (country-capital, male-female,
singular-plural, adjective-comparative, verb-past) between invented words.
After training, ``b - a + c`` should land on ``d`` for a:b :: c:d. The
questions are also written in the ``questions-words.txt`` format and scored
with :func:`skw2v.evaluate_word_analogies`, as gensim would score them.

Run with ``python examples/analogies.py`` (about ten seconds).
"""

import os
import tempfile

from skw2v import CBOWVectorizer, evaluate_word_analogies
from skw2v.datasets import make_analogy_corpus

RELATIONS = ["country-capital", "male-female", "singular-plural",
             "adjective-comparative", "verb-past"]
N_PAIRS = 10

docs, analogies = make_analogy_corpus(40_000, N_PAIRS, random_state=0)
vec = CBOWVectorizer(vector_size=50, window=5, negative=5, min_count=5,
                     epochs=5, n_jobs=1, random_state=0)
vec.fit(docs)
print(f"vocabulary: {len(vec.wv_)} words, {vec.corpus_total_words_} tokens")

# One question by hand: a is to b as c is to ?
a, b, c, d = analogies[0]
guess = vec.most_similar(positive=[b, c], negative=[a], topn=3)
print(f"{a} : {b} :: {c} : ?  ->  {guess}  (expected {d!r})")

# The whole set, in the questions-words.txt format, one section per relation.
per_relation = N_PAIRS * (N_PAIRS - 1)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "questions.txt")
    with open(path, "w", encoding="utf-8") as f:
        for k, name in enumerate(RELATIONS):
            f.write(f": {name}\n")
            for quad in analogies[k * per_relation:(k + 1) * per_relation]:
                f.write(" ".join(quad) + "\n")
    accuracy, sections = evaluate_word_analogies(vec.wv_, path)

for section in sections:
    n_right, n_wrong = len(section["correct"]), len(section["incorrect"])
    print(f"{section['section']:>24}: {n_right / max(n_right + n_wrong, 1):.1%}")
print(f"overall analogy accuracy: {accuracy:.1%}")

"""The textbook's CBOW experiment on the Penn Treebank, as a few lines of skw2v.

The classic textbook trains CBOW with negative sampling (window 5, hidden
size 100, 5 negatives from the unigram^0.75 distribution) with Adam
(lr=0.001), batch size 100, for 10 epochs on PTB's training text, then
looks at nearest neighbours. ``solver="minibatch"`` is that model: the same
Embedding / EmbeddingDot / NegativeSamplingLoss layers, vectorized; add
``device="gpu"`` to train on CuPy, as the textbook's GPU flag does.

    python examples/textbook_ptb.py
"""

from skw2v import CBOWVectorizer
from skw2v.datasets import fetch_ptb

docs = fetch_ptb("train")                    # ~929k words, downloaded once and cached

vec = CBOWVectorizer(
    vector_size=100, window=5, negative=5,   # hidden_size, window_size, sample_size
    min_count=1, sample=0,                   # PTB is pre-filtered; the textbook does not subsample
    solver="minibatch", optimizer="adam",
    alpha=0.001, min_alpha=0.001,            # Adam's constant lr=0.001
    batch_size=100, epochs=10,
    device="cpu", verbose=1, random_state=0,
)
vec.fit(docs)

print("loss per epoch:", [round(x, 3) for x in vec.loss_curve_])
for query in ["you", "year", "car", "toyota"]:
    print(f"\n[query] {query}")
    for word, cos in vec.most_similar(query, topn=5):
        print(f" {word}: {cos:.3f}")

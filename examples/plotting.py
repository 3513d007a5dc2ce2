"""Plot the training loss and a 2-D map of word vectors.

Trains on ``make_analogy_corpus``, then draws the mean loss per epoch and a
PCA and a t-SNE projection of the countries and capitals, men and women of
the planted analogies. The figures are written as PNG files to the current
folder (no window is opened, so this runs on a headless machine too).

Needs matplotlib (``pip install 'skw2v[plot]'``). Run with
``python examples/plotting.py`` (a few seconds).
"""

from matplotlib.figure import Figure

from skw2v import CBOWVectorizer
from skw2v.datasets import make_analogy_corpus
from skw2v.plotting import plot_loss_curve, plot_words

N_PAIRS = 6
docs, analogies = make_analogy_corpus(20_000, N_PAIRS, random_state=0)
vec = CBOWVectorizer(vector_size=50, min_count=5, epochs=5, n_jobs=1, random_state=0)
vec.fit(docs)

# Each relation holds N_PAIRS * (N_PAIRS - 1) questions; the first
# question of each pair of words gives its a and b words.
per_relation = N_PAIRS * (N_PAIRS - 1)
country_capital = analogies[:per_relation:N_PAIRS - 1]
male_female = analogies[per_relation:2 * per_relation:N_PAIRS - 1]
words = [w for a, b, _, _ in country_capital + male_female for w in (a, b)]

ax = plot_loss_curve(vec)
ax.figure.savefig("loss_curve.png", dpi=100)

# Several plots on one figure: pass the axes.
fig = Figure(figsize=(11, 5), layout="constrained")
ax_pca, ax_tsne = fig.subplots(1, 2)
plot_words(vec, words, method="pca", ax=ax_pca)
plot_words(vec, words, method="tsne", ax=ax_tsne, random_state=0)
fig.savefig("word_map.png", dpi=100)
print(f"wrote loss_curve.png and word_map.png ({len(words)} words)")

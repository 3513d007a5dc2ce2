"""Synthetic corpora with planted structure, for demos, tests and benchmarks.

Nothing here downloads anything: every corpus is generated from a seed, so a
demo or a benchmark can be rerun anywhere and give the same text.
"""

import numpy as np
from sklearn.utils import check_random_state

# Consonant-vowel syllables make invented words that read like words and
# never end in a consonant, so a suffixed form ("bale" + "s") can never
# collide with another invented word.
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = np.array([c + v for c in _CONSONANTS for v in _VOWELS])

# Each relation plants a:b pairs. A word's contexts mix words of its role
# (shared by every left or every right word) with words of its entity
# (shared by a and b of one pair): CBOW then learns vector ~ role + entity,
# which is what makes b - a + c land on d.
_RELATIONS = (
    {
        "name": "country-capital",
        "suffix": None,
        "left": (
            "{w} is a large country",
            "the nation of {w} has a long border",
            "the government of {w} met today",
            "people across {w} voted for the new law",
        ),
        "right": (
            "{w} is a busy city",
            "the streets of {w} are crowded",
            "the mayor of {w} spoke today",
            "trains arrive in {w} every hour",
        ),
        "entity": (
            "{w} is famous for its {e}",
            "the {e} of {w} is well known",
            "many tourists visit {w} to see the {e}",
        ),
        "pair": (
            "the capital of {a} is {b}",
            "{b} lies in {a}",
        ),
    },
    {
        "name": "male-female",
        "suffix": None,
        "left": (
            "{w} is a man",
            "{w} said he was tired",
            "mister {w} and his brother",
            "{w} shaved his beard",
        ),
        "right": (
            "{w} is a woman",
            "{w} said she was tired",
            "miss {w} and her sister",
            "{w} wore her dress",
        ),
        "entity": (
            "{w} belongs to the {e} clan",
            "{w} grew up near the {e} river",
            "the {e} family loves {w}",
        ),
        "pair": (
            "{a} and {b} are twins",
            "{b} is the sister of {a}",
        ),
    },
    {
        "name": "singular-plural",
        "suffix": "s",
        "left": (
            "one {w} is here",
            "a single {w} was found",
            "this {w} is old",
            "every {w} has a name",
        ),
        "right": (
            "two {w} are here",
            "many {w} were found",
            "these {w} are old",
            "all {w} have names",
        ),
        "entity": (
            "the {w} helps us {e}",
            "you need the {w} to {e}",
            "farmers {e} with the {w}",
        ),
        "pair": (
            "one {a} and many {b}",
            "a {a} among the {b}",
        ),
    },
    {
        "name": "adjective-comparative",
        "suffix": "r",
        "left": (
            "it is very {w}",
            "the day was quite {w}",
            "so {w} and so nice",
            "she felt rather {w}",
        ),
        "right": (
            "it is {w} than before",
            "the day was {w} than the night",
            "even {w} than that",
            "she felt {w} than him",
        ),
        "entity": (
            "the {e} is {w}",
            "a {w} {e} appeared",
            "her {e} seemed {w}",
        ),
        "pair": (
            "{a} but not {b}",
            "from {a} to {b}",
        ),
    },
    {
        "name": "verb-past",
        "suffix": "d",
        "left": (
            "today they {w} again",
            "we will {w} tomorrow",
            "they often {w} at night",
            "i like to {w}",
        ),
        "right": (
            "yesterday they {w} again",
            "we {w} last week",
            "they {w} long ago",
            "i {w} once",
        ),
        "entity": (
            "they {w} the {e}",
            "nobody can {w} a {e}",
            "the {e} is there when we {w}",
        ),
        "pair": (
            "they {a} and then {b}",
            "first {a} then {b}",
        ),
    },
)

# How often each kind of sentence is drawn: role and entity sentences carry
# the two components of the offset; pair sentences tie a and b together.
_KINDS = ("left", "right", "entity_left", "entity_right", "pair")
_KIND_P = np.array([0.15, 0.15, 0.33, 0.33, 0.04])


def _template_words():
    """Words used by the templates, which invented words must avoid."""
    words = {"and"}
    for rel in _RELATIONS:
        for key in ("left", "right", "entity", "pair"):
            for template in rel[key]:
                words.update(template.split())
    return words


def _invent_words(n, rng, exclude=(), syllables=(2, 3)):
    """Draw ``n`` distinct pronounceable words absent from ``exclude``."""
    taken = set(exclude)
    words = []
    while len(words) < n:
        k = rng.randint(syllables[0], syllables[1] + 1)
        word = "".join(rng.choice(_SYLLABLES, size=k))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _syllable_words(n):
    """Word ``i`` spelled in bijective base-len(_SYLLABLES) syllables.

    Short words for low ids mimic natural text, where frequent words are
    short, and the spelling is unique without any set lookups.
    """
    base = len(_SYLLABLES)
    ids = np.arange(n, dtype=np.int64)
    words = np.full(n, "", dtype=object)
    while True:
        alive = ids >= 0
        if not alive.any():
            break
        digit = ids[alive] % base
        words[alive] = _SYLLABLES[digit].astype(object) + words[alive]
        ids[alive] = ids[alive] // base - 1
    return words.tolist()


def _zipf_probabilities(n, exponent):
    """Probabilities of ranks 1..n under Zipf's law."""
    weights = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


def _plant_pairs(rng, n_pairs, n_entity_words, exclude):
    """Invent the a/b words and entity words of every relation."""
    planted = []
    for rel in _RELATIONS:
        left = _invent_words(n_pairs, rng, exclude)
        exclude = exclude | set(left)
        if rel["suffix"] is None:
            right = _invent_words(n_pairs, rng, exclude)
        else:
            right = [w + rel["suffix"] for w in left]
        exclude = exclude | set(right)
        flat = _invent_words(n_pairs * n_entity_words, rng, exclude)
        exclude = exclude | set(flat)
        entities = [flat[i::n_pairs] for i in range(n_pairs)]
        planted.append((rel, left, right, entities))
    return planted, exclude


def _render(rel, a, b, entity, kind, u, v):
    """One sentence of the given kind about the pair (a, b).

    ``u`` and ``v`` in [0, 1) pick the template and the entity word.
    """
    if kind == "pair":
        templates = rel["pair"]
        return templates[int(u * len(templates))].format(a=a, b=b)
    if kind in ("left", "right"):
        templates = rel[kind]
        return templates[int(u * len(templates))].format(w=a if kind == "left" else b)
    templates = rel["entity"]
    word = a if kind == "entity_left" else b
    return templates[int(u * len(templates))].format(w=word, e=entity[int(v * len(entity))])


def _background_clauses(rng, background, probabilities, noisy, max_words=4):
    """Zipf-distributed filler words after each ``noisy`` sentence: noise to see through.

    Returns one str per sentence ("" for the others), all drawn at once.
    """
    lengths = np.where(noisy, rng.randint(1, max_words + 1, size=len(noisy)), 0)
    words = rng.choice(background, size=int(lengths.sum()), p=probabilities).tolist()
    ends = np.cumsum(lengths).tolist()
    return ["" if n == 0 else " and " + " ".join(words[end - n:end])
            for n, end in zip(lengths.tolist(), ends)]


def make_analogy_corpus(
    n_sentences=80_000,
    n_pairs=20,
    *,
    n_entity_words=3,
    n_background=300,
    noise=0.3,
    random_state=None,
):
    """Generate an English-like corpus with planted word analogies.

    Five relations (country-capital, male-female, singular-plural,
    adjective-comparative, verb-past) each hold ``n_pairs`` pairs of invented
    words. Every word appears in sentences specific to its role (all
    capitals share "the mayor of ...") and sentences specific to its entity
    (a country and its capital share "famous for its ..."), so word2vec
    learns vectors whose offsets solve the analogies.

    Parameters
    ----------
    n_sentences : int, default=80_000
        Number of sentences (about 6 tokens each on average).
    n_pairs : int, default=20
        Pairs per relation; each relation gives ``n_pairs * (n_pairs - 1)``
        analogies.
    n_entity_words : int, default=3
        Invented words that characterise each pair.
    n_background : int, default=300
        Size of the Zipf-distributed background vocabulary.
    noise : float, default=0.3
        Probability that a sentence gets a clause of background words.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    docs : list of str
        The sentences, lower case, words separated by single spaces.
    analogies : list of tuple of str
        4-tuples ``(a, b, c, d)`` meaning a:b :: c:d, grouped by relation
        in the order above.

    Examples
    --------
    >>> from skw2v.datasets import make_analogy_corpus
    >>> docs, analogies = make_analogy_corpus(100, 4, random_state=0)
    >>> len(docs), len(analogies)
    (100, 60)
    """
    rng = check_random_state(random_state)
    planted, taken = _plant_pairs(
        rng, n_pairs, n_entity_words, _template_words()
    )
    background = np.array(_invent_words(n_background, rng, taken))
    probabilities = _zipf_probabilities(n_background, 1.0)
    # every draw at once: the loop below only formats strings
    relation = rng.randint(len(planted), size=n_sentences).tolist()
    pair = rng.randint(n_pairs, size=n_sentences).tolist()
    kind = rng.choice(len(_KINDS), size=n_sentences, p=_KIND_P).tolist()
    u, v = rng.random_sample((2, n_sentences)).tolist()
    clauses = _background_clauses(rng, background, probabilities,
                                  rng.random_sample(n_sentences) < noise)
    docs = []
    for r, i, k, ui, vi, clause in zip(relation, pair, kind, u, v, clauses):
        rel, left, right, entities = planted[r]
        docs.append(_render(rel, left[i], right[i], entities[i], _KINDS[k], ui, vi) + clause)
    return docs, _analogies(planted)


def _analogies(planted):
    """Every ordered pair of distinct pairs within each relation."""
    out = []
    for _, left, right, _ in planted:
        for i in range(len(left)):
            for j in range(len(left)):
                if i != j:
                    out.append((left[i], right[i], left[j], right[j]))
    return out


def make_topic_corpus(
    n_docs=1000,
    n_topics=5,
    *,
    doc_length=40,
    topic_vocab_size=60,
    n_background=2000,
    topic_weight=0.25,
    random_state=None,
):
    """Generate documents whose labels are their topics.

    Each topic owns ``topic_vocab_size`` invented words. A document of topic
    ``k`` draws each token from topic ``k``'s words with probability
    ``topic_weight`` (Zipf within the topic), otherwise from a shared
    Zipf-distributed background vocabulary.

    Parameters
    ----------
    n_docs : int, default=1000
        Number of documents.
    n_topics : int, default=5
        Number of topics, hence classes.
    doc_length : int, default=40
        Mean document length in tokens (Poisson, at least 5).
    topic_vocab_size : int, default=60
        Words owned by each topic.
    n_background : int, default=2000
        Size of the background vocabulary shared by every topic.
    topic_weight : float, default=0.25
        Share of tokens drawn from the document's topic.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    docs : list of str
        The documents.
    y : ndarray of shape (n_docs,), dtype=int64
        Topic of each document, in ``range(n_topics)``.

    Examples
    --------
    >>> from skw2v.datasets import make_topic_corpus
    >>> docs, y = make_topic_corpus(10, 2, random_state=0)
    >>> len(docs), sorted(set(y.tolist()))
    (10, [0, 1])
    """
    rng = check_random_state(random_state)
    vocab = np.array(
        _invent_words(n_topics * topic_vocab_size + n_background, rng)
    )
    topic_words = vocab[: n_topics * topic_vocab_size].reshape(n_topics, -1)
    background = vocab[n_topics * topic_vocab_size:]
    p_topic = _zipf_probabilities(topic_vocab_size, 1.0)
    p_background = _zipf_probabilities(n_background, 1.0)
    # Cycle labels before shuffling so every topic is present and balanced.
    y = rng.permutation(np.arange(n_docs) % n_topics).astype(np.int64)
    lengths = np.maximum(rng.poisson(doc_length, size=n_docs), 5)
    docs = []
    for label, length in zip(y, lengths):
        from_topic = rng.random_sample(length) < topic_weight
        tokens = rng.choice(background, size=length, p=p_background)
        n_topic = int(from_topic.sum())
        tokens[from_topic] = rng.choice(
            topic_words[label], size=n_topic, p=p_topic
        )
        docs.append(" ".join(tokens))
    return docs, y


def make_zipf_corpus(
    n_tokens=17_000_000,
    n_words=71_000,
    sentence_length=1000,
    exponent=1.0,
    *,
    n_topics=64,
    topic_share=0.5,
    segment_length=50,
    as_ids=False,
    random_state=0,
):
    """Generate a text8-shaped corpus for speed benchmarks.

    Tokens follow Zipf's law over ``n_words`` words. For local structure,
    the text is cut into segments of ``segment_length`` tokens, each with a
    topic ``t``; in a segment, a share ``topic_share`` of the tokens outside
    the 100 most frequent words are moved to a word of nearly the same rank
    whose id is ``t`` modulo ``n_topics``. Word frequencies stay Zipfian,
    while words of one topic co-occur, so training has something to learn.

    With the defaults (about 17M tokens), every one of the 71,000 words
    occurs at least 5 times, like the 71,290 words of text8 that reach
    ``min_count=5``.

    Parameters
    ----------
    n_tokens : int, default=17_000_000
        Number of tokens.
    n_words : int, default=71_000
        Vocabulary size; word ``i`` has frequency rank ``i + 1``.
    sentence_length : int, default=1000
        Tokens per sentence (the last one may be shorter).
    exponent : float, default=1.0
        Zipf exponent.
    n_topics : int, default=64
        Number of topics of the local structure.
    topic_share : float, default=0.5
        Share of the non-head tokens that follow the segment's topic.
    segment_length : int, default=50
        Tokens per topic segment.
    as_ids : bool, default=False
        If True, return ``(ids, offsets, words)`` instead of token lists,
        which avoids building ``n_tokens`` Python strings.
    random_state : int, RandomState instance or None, default=0
        Seed of the generator.

    Returns
    -------
    sentences : list of list of str
        When ``as_ids`` is False.
    ids : ndarray of shape (n_tokens,), dtype=int32
        When ``as_ids`` is True: the word id of every token.
    offsets : ndarray of shape (n_sentences + 1,), dtype=int64
        When ``as_ids`` is True: sentence ``k`` is
        ``ids[offsets[k]:offsets[k + 1]]``.
    words : list of str
        When ``as_ids`` is True: the spelling of every id.

    Examples
    --------
    >>> from skw2v.datasets import make_zipf_corpus
    >>> sentences = make_zipf_corpus(2500, 100, sentence_length=1000)
    >>> [len(s) for s in sentences]
    [1000, 1000, 500]
    >>> ids, offsets, words = make_zipf_corpus(2500, 100, as_ids=True)
    >>> ids.dtype.name, offsets.tolist(), len(words)
    ('int32', [0, 1000, 2000, 2500], 100)
    """
    rng = check_random_state(random_state)
    ids = _zipf_ids(rng, n_tokens, n_words, exponent)
    _add_topics(rng, ids, n_words, n_topics, topic_share, segment_length)
    offsets = np.append(
        np.arange(0, n_tokens, sentence_length, dtype=np.int64), n_tokens
    )
    words = _syllable_words(n_words)
    if as_ids:
        return ids, offsets, words
    tokens = np.array(words, dtype=object)[ids].tolist()
    return [tokens[start:stop] for start, stop in zip(offsets[:-1], offsets[1:])]


def _zipf_ids(rng, n_tokens, n_words, exponent):
    """Draw token ids by inverting the Zipf CDF (vectorised)."""
    cdf = np.cumsum(_zipf_probabilities(n_words, exponent))
    ids = np.searchsorted(cdf, rng.random_sample(n_tokens), side="right")
    return np.minimum(ids, n_words - 1).astype(np.int32)


def _add_topics(rng, ids, n_words, n_topics, topic_share, segment_length,
                head=100):
    """Move some tokens to the same-rank block word of the segment's topic.

    A block of ``n_topics`` consecutive ranks has nearly equal frequencies
    past the head, so the move keeps the Zipf shape.
    """
    if n_topics < 2 or topic_share <= 0 or len(ids) == 0:
        return
    n_segments = -(-len(ids) // segment_length)
    topic = np.repeat(
        rng.randint(n_topics, size=n_segments).astype(np.int32), segment_length
    )[: len(ids)]
    moved = (ids >= head) & (rng.random_sample(len(ids)) < topic_share)
    new = ids[moved] - ids[moved] % n_topics + topic[moved]
    ids[moved] = np.where(new < n_words, new, ids[moved])

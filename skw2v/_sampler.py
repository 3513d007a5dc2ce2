"""Negative sampling: the unigram^power distribution as an alias table.

Vose's alias method gives O(1) draws with two lookups: pick a bucket ``i``
uniformly, keep it with probability ``prob[i]``, else take ``alias[i]``.
The same two arrays serve the numba kernel, numpy and CuPy.
"""

import numba
import numpy as np
from sklearn.utils import check_random_state


@numba.njit(cache=True)
def _build_alias(p):
    n = p.shape[0]
    prob = np.zeros(n, dtype=np.float64)
    alias = np.arange(n).astype(np.int32)
    scaled = p * n
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1
    # Leftovers are exactly 1 up to rounding error.
    for k in range(nl):
        prob[large[k]] = 1.0
    for k in range(ns):
        prob[small[k]] = 1.0
    return prob, alias


def alias_table(counts, power=0.75):
    """Return ``(prob, alias)`` for sampling index i with probability ∝ counts[i]**power."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    if weights.ndim != 1 or not len(weights) or not np.isfinite(weights).all() \
            or weights.sum() <= 0 or (weights < 0).any():
        raise ValueError("counts must be a non-empty 1-D array of non-negative numbers "
                         "with a positive sum.")
    prob, alias = _build_alias(weights / weights.sum())
    return prob.astype(np.float32), alias


class UnigramSampler:
    """Draw negative samples from the unigram distribution raised to ``power``.

    The textbook's ``UnigramSampler``, with O(1) draws (alias method) and
    vectorized over a whole batch. It runs on numpy or, with ``xp=cupy``,
    on the GPU (the tables are moved to the device once).

    Parameters
    ----------
    counts : array-like of shape (n_words,)
        Word counts (or any non-negative weights).
    power : float, default=0.75
        Exponent applied to the counts (word2vec's ``ns_exponent``).
    sample_size : int, default=5
        Negatives per target.
    random_state : int, RandomState or None, default=None
        Seed for numpy draws (ignored with CuPy, which uses its own generator).
    xp : module, default=numpy
        Array module: ``numpy`` or ``cupy``.

    Attributes
    ----------
    prob, alias : arrays of shape (n_words,)
        The alias table.

    Examples
    --------
    >>> import numpy as np
    >>> sampler = UnigramSampler([10, 5, 1, 1], sample_size=2, random_state=0)
    >>> neg = sampler.get_negative_sample(np.array([0, 1, 2]))
    >>> neg.shape
    (3, 2)
    >>> bool((neg != np.array([[0], [1], [2]])).all())
    True
    """

    def __init__(self, counts, power=0.75, sample_size=5, random_state=None, xp=np):
        self._setup(alias_table(counts, power), power, sample_size, random_state, xp)

    @classmethod
    def from_table(cls, prob, alias, sample_size=5, random_state=None, xp=np):
        """A sampler over an existing alias table (as built by :func:`alias_table`).

        ``random_state`` may also be a ``cupy.random.RandomState`` when ``xp`` is CuPy.
        """
        sampler = cls.__new__(cls)
        sampler._setup((prob, alias), None, sample_size, random_state, xp)
        return sampler

    def _setup(self, table, power, sample_size, random_state, xp):
        self.power, self.sample_size, self.xp = power, sample_size, xp
        self.prob = xp.asarray(table[0], dtype=xp.float32)
        self.alias = xp.asarray(table[1], dtype=xp.int32)
        self.vocab_size = len(self.prob)
        if xp is np:
            self._rng = check_random_state(random_state)
        elif hasattr(random_state, "random_sample"):
            self._rng = random_state
        else:
            self._rng = xp.random.RandomState(random_state)

    def sample(self, shape):
        """Draw word ids of the given shape (targets not excluded).

        One uniform draw per id: its integer part (times the vocabulary size)
        picks the bucket, its fraction chooses between bucket and alias.
        """
        u = self._rng.random_sample(shape) * self.vocab_size
        bucket = self.xp.minimum(u.astype(self.xp.int32), self.vocab_size - 1)
        frac = (u - bucket).astype(self.xp.float32)
        return self.xp.where(frac < self.prob[bucket], bucket, self.alias[bucket])

    def get_negative_sample(self, target, max_redraws=8):
        """Return ``(len(target), sample_size)`` negatives, none equal to its target.

        Draws that hit the target are redrawn (a few rounds, vectorized); in
        a vocabulary of one word no valid negative exists and ValueError is raised.
        """
        if self.vocab_size < 2:
            raise ValueError("Negative sampling needs at least 2 words in the vocabulary.")
        target = self.xp.asarray(target).reshape(-1, 1)
        neg = self.sample((target.shape[0], self.sample_size))
        for _ in range(max_redraws):
            clash = neg == target
            if not bool(clash.any()):
                break
            neg = self.xp.where(clash, self.sample(neg.shape), neg)
        # A word owning nearly all the mass can still clash: shift to a neighbour.
        clash = neg == target
        return self.xp.where(clash, (neg + 1) % self.vocab_size, neg)

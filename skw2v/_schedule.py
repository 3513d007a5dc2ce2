"""The learning-rate schedule: word2vec's linear decay over all training words.

:func:`linear_alpha` is the one definition of the rate at a global word
position (``epoch * words_per_epoch + position in the corpus``). Every
engine evaluates it: Python through :meth:`Schedule.alpha_at`, the numba
kernels through a jitted copy of the same function, the minibatch engine on
whole numpy or CuPy arrays of positions. It is written without branches so
that one body serves all of them.
"""

from typing import NamedTuple


def linear_alpha(alpha, step, min_alpha, words_done):
    """Learning rate after ``words_done`` words: ``max(alpha - step * words_done, min_alpha)``.

    Works elementwise on numpy and CuPy arrays, and on scalars in Python,
    numba and CUDA device code (the select is arithmetic, not a branch).
    """
    rate = alpha - step * words_done
    below = rate < min_alpha
    return rate * (1 - below) + min_alpha * below


class Schedule(NamedTuple):
    """Linear decay from ``alpha`` to ``min_alpha`` over ``epochs * words_per_epoch`` words."""

    alpha: float
    min_alpha: float
    words_per_epoch: int
    epochs: int

    @property
    def step(self):
        """Decrease of the learning rate per training word."""
        total = max(self.words_per_epoch * self.epochs, 1)
        return (self.alpha - self.min_alpha) / total

    def position(self, epoch, word):
        """Global position of corpus word ``word`` in epoch ``epoch``."""
        return epoch * self.words_per_epoch + word

    def alpha_at(self, words_done):
        """Learning rate after ``words_done`` words of training (scalar or array)."""
        return linear_alpha(self.alpha, self.step, self.min_alpha, words_done)

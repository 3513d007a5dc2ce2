"""The learning-rate schedule: word2vec's linear decay over all training words.

:func:`linear_alpha` is the one definition of the rate at a global word
position (``epoch * words_per_epoch + position in the corpus``). Every
engine evaluates it: Python through :meth:`Schedule.alpha_at`, the numba
kernels through a jitted copy of the same function, the minibatch engine on
whole numpy or CuPy arrays of positions. It is written without branches so
that one body serves all of them.
"""

from typing import NamedTuple

from numba.extending import register_jitable


@register_jitable
def linear_alpha(alpha, step, min_alpha, words_done):
    """Learning rate after ``words_done`` words: ``max(alpha - step * words_done, min_alpha)``.

    Works elementwise on numpy and CuPy arrays, and on scalars in Python,
    numba and CUDA device code (the select is arithmetic, not a branch).
    The select multiplies by booleans, not by ``1 - below``: an integer
    there would turn float32 device code into float64.
    """
    rate = alpha - step * words_done
    return rate * (rate >= min_alpha) + min_alpha * (rate < min_alpha)


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

    def origin(self, words_done):
        """The unclamped rate at ``words_done``: ``linear_alpha(origin(n), step, min_alpha, p)``
        is the rate of global position ``n + p`` (kernels count ``p`` from a block's start)."""
        return self.alpha - self.step * words_done

    def alpha_at(self, words_done):
        """Learning rate after ``words_done`` words of training (scalar or array)."""
        return linear_alpha(self.alpha, self.step, self.min_alpha, words_done)

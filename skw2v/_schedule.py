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

    def share(self, base, stride, origin=0):
        """The schedule of a share of the words trained alongside other shares.

        While K workers each train their share of a round, the corpus
        advances ~K words for each word one of them trains: the share's word
        ``w`` runs at global position ``base + stride * (w - origin)``, so
        every share ends the round at the rate the whole corpus reaches
        there. Engines take the result in place of this schedule.
        """
        return ShareSchedule(self.origin(base - stride * origin), self.min_alpha,
                             self.step * stride)


class ShareSchedule(NamedTuple):
    """The rates of one share (:meth:`Schedule.share`): ``position(epoch, w)`` is ``w``.

    ``alpha`` is the unclamped rate at the share's word 0 and ``step`` the
    decrease per share word, so ``linear_alpha(alpha, step, min_alpha, w)``
    is the global schedule's rate at the position word ``w`` stands for.
    """

    alpha: float
    min_alpha: float
    step: float

    def position(self, epoch, word):
        return word

    def alpha_at(self, words_done):
        return linear_alpha(self.alpha, self.step, self.min_alpha, words_done)

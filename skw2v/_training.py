"""The training schedule shared by every engine.

Python owns the schedule: epochs, the linear learning-rate decay over all
training words, progress, logging, callbacks and numerical checks. An
engine only trains one epoch at a time at the rates it is given.
"""

import contextlib
import logging
import sys
import time
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

logger = logging.getLogger("skw2v")


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

    def alpha_at(self, words_done):
        """Learning rate after ``words_done`` words of training."""
        return max(self.alpha - self.step * words_done, self.min_alpha)


class EpochStats(NamedTuple):
    """What one epoch did; ``loss`` is the float64 sum over ``examples`` targets."""

    epoch: int
    loss: float
    examples: int
    words: int
    effective_words: int
    seconds: float

    @property
    def mean_loss(self):
        return self.loss / self.examples if self.examples else 0.0


def plan_chunks(offsets, chunk_words):
    """Document boundaries that cut the corpus into chunks of about ``chunk_words`` words."""
    n_docs = len(offsets) - 1
    marks = np.arange(0, offsets[-1], max(int(chunk_words), 1))
    bounds = np.searchsorted(offsets, marks, side="left")
    return np.unique(np.concatenate([[0], bounds, [n_docs]]))


def _check_finite(stats, weights, alpha):
    bad = not np.isfinite(stats.loss) or not all(np.isfinite(w).all() for w in weights)
    if bad:
        raise FloatingPointError(
            f"Training diverged in epoch {stats.epoch + 1}: the loss or the weights became "
            f"non-finite. Use a smaller learning rate (alpha={alpha:g} now)."
        )


class _TqdmHandler(logging.Handler):
    """Writes records above the progress bar instead of through it."""

    def emit(self, record):
        tqdm.write(self.format(record), file=sys.stderr)


@contextlib.contextmanager
def _epoch_log(verbose):
    """With verbose >= 2, make sure the epoch lines reach stderr.

    If the application configured logging, its handlers decide; otherwise a
    stderr handler is attached to the "skw2v" logger for the duration.
    """
    handler = None
    if verbose >= 2 and not logger.hasHandlers():
        handler = _TqdmHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s skw2v: %(message)s"))
        logger.addHandler(handler)
    previous = logger.level
    if verbose >= 2 and logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(previous)
        if handler is not None:
            logger.removeHandler(handler)


def run_epochs(engine, schedule, *, verbose=0, callbacks=(), owner=None, desc="training"):
    """Train ``engine`` for ``schedule.epochs`` epochs; return the list of EpochStats.

    ``engine.train_epoch(epoch, schedule, progress)`` trains one epoch and
    calls ``progress(words, loss_sum, examples)`` as chunks finish;
    ``engine.weights()`` returns the matrices checked for finiteness.
    """
    history = []
    total = schedule.words_per_epoch * schedule.epochs
    with _epoch_log(verbose), tqdm(total=total, unit="word", unit_scale=True,
                                   disable=verbose < 1, desc=desc, dynamic_ncols=True,
                                   mininterval=0.5) as bar:
        tally = [0.0, 0]

        def progress(words, loss, examples):
            tally[0] += loss
            tally[1] += examples
            bar.set_postfix(loss=f"{tally[0] / max(tally[1], 1):.4f}", refresh=False)
            bar.update(words)

        for epoch in range(schedule.epochs):
            bar.set_description(f"{desc} epoch {epoch + 1}/{schedule.epochs}")
            tally[:] = [0.0, 0]
            start = time.perf_counter()
            stats = engine.train_epoch(epoch, schedule, progress)
            stats = stats._replace(epoch=epoch, seconds=time.perf_counter() - start)
            _check_finite(stats, engine.weights(), schedule.alpha)
            history.append(stats)
            if verbose >= 2:
                logger.info("epoch %d/%d: loss %.5f, %d words in %.2fs (%.0f words/s)",
                            epoch + 1, schedule.epochs, stats.mean_loss, stats.words,
                            stats.seconds, stats.words / max(stats.seconds, 1e-9))
            for callback in callbacks or ():
                callback(owner, stats)
    return history

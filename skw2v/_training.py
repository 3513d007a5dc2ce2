"""Training: epochs over an engine, with tallies, progress, logging, callbacks and checks.

:func:`run_epochs` is the one training loop. It asks the engine (any
implementation of :mod:`skw2v._engines.base`) to train each epoch's words at
the rates of the :class:`~skw2v._schedule.Schedule`, sums the per-chunk
tallies the engine reports into :class:`EpochStats`, drives the progress
bar and the epoch log, calls the callbacks, stops on non-finite loss or
weights, and finally has the engine hand back its weights.
"""

import contextlib
import logging
import sys
import time
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from ._checks import all_finite

logger = logging.getLogger("skw2v")


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


class _Tally:
    """Running sums of the engine's :class:`~skw2v._engines.base.ChunkTally` reports."""

    def __init__(self):
        self.words = self.examples = self.effective_words = 0
        self.loss = 0.0  # a Python float: float64, as the engine's own sums

    def add(self, chunk):
        self.words += int(chunk.words)
        self.loss += float(chunk.loss)
        self.examples += int(chunk.examples)
        self.effective_words += int(chunk.effective_words)

    def stats(self, epoch, seconds):
        return EpochStats(epoch, self.loss, self.examples, self.words, self.effective_words,
                          seconds)


def _check_finite(stats, weights, alpha):
    bad = not np.isfinite(stats.loss) or not all(all_finite(w) for w in weights)
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

    Each epoch is one ``engine.train(epoch, 0, n_docs, schedule, report)``
    call; after the last, ``engine.finalize()`` makes the host weights hold
    the result. ``callbacks`` are called as ``callback(owner, stats)``.
    """
    history = []
    total = schedule.words_per_epoch * schedule.epochs
    with _epoch_log(verbose), tqdm(total=total, unit="word", unit_scale=True,
                                   disable=verbose < 1, desc=desc, dynamic_ncols=True,
                                   mininterval=0.5) as bar:
        for epoch in range(schedule.epochs):
            bar.set_description(f"{desc} epoch {epoch + 1}/{schedule.epochs}")
            stats = _train_epoch(engine, schedule, epoch, bar)
            _check_finite(stats, engine.weights(), schedule.alpha)
            history.append(stats)
            if verbose >= 2:
                logger.info("epoch %d/%d: loss %.5f, %d words in %.2fs (%.0f words/s)",
                            epoch + 1, schedule.epochs, stats.mean_loss, stats.words,
                            stats.seconds, stats.words / max(stats.seconds, 1e-9))
            for callback in callbacks or ():
                callback(owner, stats)
    engine.finalize()
    return history


def _train_epoch(engine, schedule, epoch, bar):
    tally, start = _Tally(), time.perf_counter()

    def report(chunk):
        tally.add(chunk)
        bar.set_postfix(loss=f"{tally.loss / max(tally.examples, 1):.4f}", refresh=False)
        bar.update(int(chunk.words))

    engine.train(epoch, 0, engine.n_docs, schedule, report)
    return tally.stats(epoch, time.perf_counter() - start)

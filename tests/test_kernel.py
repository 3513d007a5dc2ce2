"""The numba kernel against a plain numpy reference of word2vec's CBOW-NS update."""

import numba
import numpy as np
import pytest

from skw2v._engines.hogwild_kernel import (MAX_EXP, ChunkParams, _draw_negatives, _sigmoid_and_loss,
                                          train_chunk, train_group)
from skw2v._engines.prefetch import prefetch_row
from skw2v._random import next_u64, split_u64
from skw2v._sampler import alias_table

# kernels against plain references: also run as on an older CPU (tests/test_cross_cpu.py)
pytestmark = pytest.mark.cross_cpu


def reference_group(syn0, syn1neg, sent, targets, windows, negatives, alpha, locked=()):
    """word2vec CBOW (cbow_mean=1) negative sampling for a group of targets.

    Straight from the C tool's per-target update, with the kernel's two group
    rules: the targets share one draw of negatives, and their contexts are
    read before the group's input-vector updates are applied. The input
    vectors of the ``locked`` words are read but not updated (gensim's lockf 0).
    """
    contexts = [[c for c in range(lo, hi) if c != t] for t, (lo, hi) in zip(targets, windows)]
    hidden = [syn0[[sent[c] for c in ctx]].mean(axis=0) if ctx else None for ctx in contexts]
    errors, loss = [], 0.0
    for t, h in zip(targets, hidden):
        neu1e = np.zeros(syn0.shape[1])
        if h is not None:
            for target, label in [(sent[t], 1)] + [(n, 0) for n in negatives if n != sent[t]]:
                f = h @ syn1neg[target]
                s = 1.0 / (1.0 + np.exp(-f))
                loss += np.logaddexp(0, -f) if label else np.logaddexp(0, f)
                if abs(f) >= MAX_EXP:  # the C tool's clipping: sigmoid taken as 0 or 1
                    s = float(f > 0)
                g = (label - s) * alpha
                neu1e += g * syn1neg[target]
                syn1neg[target] += g * h
        errors.append(neu1e)
    for ctx, neu1e in zip(contexts, errors):
        for c in ctx:
            if sent[c] not in locked:
                syn0[sent[c]] += neu1e
    return loss


MASK64 = (1 << 64) - 1


def xorshift64star(state):
    """Reference xorshift64* on Python ints: (new state, output)."""
    state ^= state >> 12
    state ^= (state << 25) & MASK64
    state ^= state >> 27
    return state, (state * 0x2545F4914F6CDD1D) & MASK64


def draw_negatives_from(state, prob, alias, n):
    """Negative draws from the alias table, replayed with a pure-Python generator."""
    out = []
    for _ in range(n):
        state, r = xorshift64star(state)
        bucket = ((r >> 32) * len(prob)) >> 32
        u = np.float32((r & 0xFFFFFFFF) / 2**32)
        out.append(bucket if u < prob[bucket] else alias[bucket])
    return out


@numba.njit
def _numba_draws(state, n, k):
    out = np.empty((n, 2))
    for i in range(n):
        state, r = next_u64(state)
        b, u = split_u64(r, k)
        out[i, 0] = b
        out[i, 1] = u
    return out


def test_kernel_generator_matches_python_reference():
    got = _numba_draws(np.uint64(987654321), 1000, 37)
    state = 987654321
    for bucket, u in got:
        state, r = xorshift64star(state)
        assert bucket == ((r >> 32) * 37) >> 32
        assert u == np.float32((r & 0xFFFFFFFF) / 2**32)


def test_negative_draws_match_python_reference():
    prob, alias = alias_table(np.arange(1, 40) ** 2)
    negs = np.full(14, -1, np.int64)
    _draw_negatives(np.zeros((39, 8), np.float32), prob, alias, negs, 7, 7, np.uint64(99))
    assert (negs[:7] == -1).all()
    assert negs[7:].tolist() == draw_negatives_from(99, prob, alias, 7)


@numba.njit
def _prefetch_then_sum(matrix, rows):
    total = 0.0
    for r in rows:
        prefetch_row(matrix, r)
    for r in rows:
        total += matrix[r].sum()
    return total


def test_prefetch_row_emits_prefetches_and_changes_nothing():
    matrix = np.arange(300 * 100, dtype=np.float32).reshape(300, 100)
    rows = np.array([0, 299, 17, 17], np.int64)
    before = matrix.copy()
    assert _prefetch_then_sum(matrix, rows) == pytest.approx(matrix[rows].sum(), rel=1e-6)
    assert np.array_equal(matrix, before)
    asm = next(iter(_prefetch_then_sum.inspect_asm().values()))
    assert "prefetch" in asm


def replay_windows(state, n, window, g0, g1):
    """The kernel's dynamic windows for one group, replayed in pure Python."""
    state, windows = int(state), []
    for t in range(g0, g1):
        state, r = xorshift64star(state)
        b = ((r >> 32) * window) >> 32
        windows.append((max(0, t - window + b), min(n, t + window + 1 - b)))
    return windows


@pytest.mark.parametrize("g0, g1", [(0, 1), (5, 6), (0, 3), (4, 12), (11, 12)])
@pytest.mark.parametrize("negative", [1, 5, 15])
@pytest.mark.parametrize("scale", [1.0, 30.0])  # 30: many scores beyond +-MAX_EXP
@pytest.mark.parametrize("locked", [(), (2, 4, 9)])
def test_group_update_matches_numpy_reference(g0, g1, negative, scale, locked):
    """Negatives from 12 words: repeats and draws of the target itself are common.

    With ``locked`` words (frequent in the sentence) their input rows are
    left bit-identical while their output rows train.
    """
    rng = np.random.RandomState(negative + g0)
    n_words, dim, window = 12, 16, 3
    syn0 = ((rng.random_sample((n_words, dim)) - 0.5) * scale / dim).astype(np.float32)
    syn1neg = (rng.standard_normal((n_words, dim)) * 0.3 * scale).astype(np.float32)
    sent = np.array([1, 4, 2, 7, 4, 9, 3, 3, 0, 11, 4, 2], dtype=np.int32)
    seed, alpha = np.uint64(12345 + negative), 0.05
    # the group's negatives sit after another group's in the kernel's buffer
    negs = rng.randint(0, n_words, 2 * negative)
    n0 = negative if g0 % 2 else 0

    windows = replay_windows(seed, len(sent), window, g0, g1)
    ref0, ref1 = syn0.astype(np.float64), syn1neg.astype(np.float64)
    ref_loss = reference_group(ref0, ref1, sent, range(g0, g1), windows,
                               list(negs[n0:n0 + negative]), alpha, locked)

    size = g1 - g0
    lock = np.zeros(n_words, np.uint8)
    lock[list(locked)] = 1
    start = syn0.copy()
    _, loss, examples = train_group(
        syn0, syn1neg, lock, sent, len(sent), g0, g1, window, alpha, negs, n0, negative,
        np.empty((size, dim), np.float32), np.empty((size, dim), np.float32),
        np.empty((size, 2), np.int64), np.empty(negative + 1, np.int64), seed)
    # The kernel reads the sigmoid from an interpolated table (within 2e-6).
    np.testing.assert_allclose(syn0, ref0, rtol=1e-5, atol=1e-6 * scale)
    np.testing.assert_allclose(syn1neg, ref1, rtol=1e-5, atol=1e-6 * scale)
    assert loss == pytest.approx(ref_loss, rel=1e-5, abs=1e-5)
    assert examples == sum(hi - lo > 1 for lo, hi in windows)
    frozen = lock.astype(bool)
    assert np.array_equal(syn0[frozen].view(np.uint32), start[frozen].view(np.uint32))


@pytest.mark.parametrize("label", [1, 0])
def test_sigmoid_table_is_close_to_exact_and_clips_like_the_c_tool(label):
    """Sigmoid within 2e-6, loss within 5e-6 (relative beyond 1), of the exact values.

    The grid includes the float32 neighbours of +-MAX_EXP, where the table
    index is at its ends.
    """
    edges = np.nextafter(np.float32([MAX_EXP, -MAX_EXP]), np.float32(0))
    f = np.concatenate([np.linspace(-8, 8, 20001).astype(np.float32), edges])
    got = np.array([_sigmoid_and_loss(x, np.float32(label)) for x in f])
    # float32 throughout: a float64 in the kernel's scoring costs conversions
    assert {sig.return_type for sig in _sigmoid_and_loss.nopython_signatures} == {
        numba.types.UniTuple(numba.float32, 2)}
    wide = f.astype(np.float64)
    exact = 1.0 / (1.0 + np.exp(-wide))
    inside = np.abs(f) < MAX_EXP
    assert np.abs(got[inside, 0] - exact[inside]).max() < 2e-6
    exact_loss = np.logaddexp(0, -wide) if label else np.logaddexp(0, wide)
    assert (np.abs(got[:, 1] - exact_loss) <= 5e-6 * np.maximum(1, exact_loss)).all()
    assert (got[f >= MAX_EXP, 0] == 1).all() and (got[f <= -MAX_EXP, 0] == 0).all()


def test_target_without_context_changes_nothing():
    syn0 = np.ones((3, 4), np.float32)
    syn1neg = np.ones((3, 4), np.float32)
    sent = np.array([2], np.int32)
    _, loss, examples = train_group(syn0, syn1neg, np.zeros(3, np.uint8), sent, 1, 0, 1, 5, 0.1,
                                    np.array([0, 1, 2, 0, 1]), 0, 5,
                                    np.empty((1, 4), np.float32), np.empty((1, 4), np.float32),
                                    np.empty((1, 2), np.int64), np.empty(6, np.int64),
                                    np.uint64(1))
    assert loss == 0.0 and examples == 0
    assert (syn0 == 1).all() and (syn1neg == 1).all()


def _chunk(ids, offsets, keep, seed, window=5, negative=5, dim=8, locked=None):
    n_words = int(ids.max()) + 1
    locked = np.zeros(n_words, np.uint8) if locked is None else locked
    rng = np.random.RandomState(0)
    syn0 = ((rng.random_sample((n_words, dim)) - 0.5) / dim).astype(np.float32)
    syn1neg = np.zeros((n_words, dim), np.float32)
    prob, alias = alias_table(np.bincount(ids, minlength=n_words) + 1)
    params = ChunkParams(window, negative, 0.025, 1e-7, 1e-4, 0, np.uint64(seed))
    out = train_chunk(ids, offsets, 0, len(offsets) - 1, keep, prob, alias, locked, syn0,
                      syn1neg, params)
    return out, syn0, syn1neg


def test_chunk_is_deterministic_for_a_seed_and_varies_across_seeds():
    rng = np.random.RandomState(1)
    ids = rng.randint(0, 50, 2000).astype(np.int32)
    offsets = np.array([0, 700, 1500, 2000], np.int64)
    keep = np.full(50, 0.7, np.float32)
    a = _chunk(ids, offsets, keep, seed=7)
    b = _chunk(ids, offsets, keep, seed=7)
    c = _chunk(ids, offsets, keep, seed=8)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_chunk_subsampling_keeps_expected_fraction():
    rng = np.random.RandomState(2)
    ids = rng.randint(0, 20, 100_000).astype(np.int32)
    offsets = np.arange(0, 100_001, 1000, dtype=np.int64)
    keep = np.linspace(0.1, 1.0, 20).astype(np.float32)
    (loss, examples, effective), _, _ = _chunk(ids, offsets, keep, seed=3)
    expected = keep[ids].sum()
    assert abs(effective - expected) < 4 * np.sqrt(expected)
    assert examples <= effective and np.isfinite(loss) and loss > 0

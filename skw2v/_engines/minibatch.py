"""The minibatch engine: the textbook's layered CBOW, vectorized, on numpy or CuPy.

One code path over an array module ``xp`` (numpy or cupy). The layers keep
the textbook's names and roles, but each works on a whole batch of targets
and on all of their negatives at once:

    Embedding            row gather; its gradient = sparse rows to scatter-add
    CBOW                 mean of the context rows (padded matrix + weights)
    EmbeddingDot         dot of h with the target row and the negative rows
    SigmoidWithLoss      sigmoid cross-entropy, per (target, output) pair
    NegativeSamplingLoss alias-table draws + EmbeddingDot + SigmoidWithLoss

Per epoch, a block of documents is prepared at once: subsampling (one
uniform draw per token), removal of the dropped tokens *before* windowing
as word2vec does, word2vec's dynamic window, and a ``(n_targets, 2 *
window)`` matrix of context ids with a weight matrix (0 for padding).
Batches are then cut from the block (targets shuffled within it).

Optimizers
----------
``"sgd"`` is word2vec's update: every target contributes its own gradient,
scaled by its own learning rate (the schedule's linear decay per input
word), and the per-example gradients of a batch, all computed from the
same snapshot of the weights, are summed into the rows (not averaged).
The context rows receive ``neu1e`` undivided by the context size, as in
word2vec. ``"adam"`` is the textbook trainer: the gradient of the mean loss
over the batch (exact, divided by the context size), Adam with
``beta1=0.9, beta2=0.999, eps=1e-8`` and step size ``lr`` = the schedule's
learning rate at the batch (``alpha`` decayed linearly to ``min_alpha``;
pass ``alpha=0.001`` for the textbook's setting). Adam is lazy: only the
rows a batch touched update their weights and moments.

Locked words (``TrainingTables.locked``): their rows of ``W_in`` (``syn0``)
are never changed. numpy drops their entries from the sparse gradient
before it is summed (the rows are not written at all); CuPy, which must not
synchronize with the host for a boolean selection, writes the touched rows'
values from before the step back into the locked ones (the same bits), and
Adam keeps their moments at zero the same way. ``W_out`` trains as usual.

Scatter-add: numpy sums duplicate rows with a sparse matrix product (about
6x faster than ``np.add.at``); CuPy uses ``cupy.add.at`` (atomic adds).
SGD caps the duplicates: a row touched ``m > ROW_CAP`` (64) times in one
batch gets its summed update scaled by ``64 / m``. Without the cap, summed
updates of very frequent rows diverge at word2vec's learning rates once a
batch holds more than a few hundred targets; below the cap the update is
exactly word2vec's. Targets are shuffled within a block (it helps large batches).
The loss is accumulated on the device in float64 and read back once per
block, so the steps of a block never synchronize with the host.
"""

from typing import NamedTuple

import numpy as np

from .._device import device_scope
from .._sampler import UnigramSampler
from .base import ChunkTally, Engine, copy_to_host, locked_rows, memory_hint, plan_chunks

BATCH_AUTO_CPU = 256
BATCH_AUTO_GPU = 4096     # largest measured batch that keeps word2vec's quality
BLOCK_WORDS_CPU = 1 << 18
BLOCK_WORDS_GPU = 1 << 22
ROW_CAP = 64
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
_OOM_HINT = ("Out of memory on the training device while training with batch_size={}. "
             "Use a smaller batch_size (or a smaller vector_size / vocabulary).")


def auto_batch_size(xp, n_words):
    """``batch_size="auto"``: 256 targets on numpy; on a GPU ``n_words // 8`` within [256, 4096].

    The per-example SGD updates of a batch are all computed from the same
    snapshot of the weights and summed, which stays close to word2vec's
    sequential updates only while a batch touches each row a few times.
    Small vocabularies get smaller GPU batches (measured on numpy with
    lee_background, 1.8k words: 256 matches hogwild, 1024 is 2.5% worse in
    loss, 4096 clearly worse).

    Where quality starts to drop, measured on numpy (the CuPy path runs the
    same update) on the benchmark English corpus (2.3M tokens, 22k words;
    d 100, window 5, negative 5, sample 1e-3, 5 epochs; gap to batch 256
    with the same seed, mean of 3 seeds; ``benchmarks/bench_batch_size.py``,
    ``benchmarks/RESULTS.md``): quality holds up to 4096 targets (2048:
    analogy -0.2 point, WS353 -0.002, SimLex +0.002; 4096: -0.4 point,
    -0.002, -0.002, within the seed-to-seed noise of ~0.3 point / 0.01,
    though analogy is lower for every seed); it drops from 8192 (-1.0
    point, WS353 -0.018, SimLex -0.020) and collapses at 16384 (-1.8
    points, -0.03, -0.05, one seed). Hence the 4096 cap. Larger batches
    only run faster: pass an int ``batch_size`` to trade quality for speed.
    """
    if xp is np:
        return BATCH_AUTO_CPU
    return int(max(BATCH_AUTO_CPU, min(BATCH_AUTO_GPU, n_words // 8)))


# ---------------------------------------------------------------- scatter-add
def scatter_rows(xp, W, rows, coef, src, src_row, cap=None, counter=None):
    """``W[rows[i]] += coef[i] * src[src_row[i]]`` summed over ``i`` (duplicates add up).

    With ``cap``, a row that occurs ``m > cap`` times gets its sum scaled by
    ``cap / m``; ``counter`` is a zeroed int32 scratch of ``len(W)`` (CuPy only).
    """
    if xp is np:
        _scatter_rows_sparse(W, rows, coef, src, src_row, cap)
        return
    if cap is not None:
        xp.add.at(counter, rows, 1)
        coef = coef * xp.minimum(1.0, cap / counter[rows]).astype(coef.dtype)
        counter[rows] = 0
    xp.add.at(W, rows, coef[:, None] * src[src_row])


def scatter_rows_unlocked(xp, W, locked, rows, coef, src, src_row, cap=None, counter=None):
    """:func:`scatter_rows` but leaving the rows where ``locked`` (bool) is set as they are.

    numpy drops their entries first, so those rows are not written at all. CuPy
    (no host sync for a selection) scatters everything and then writes the locked
    rows' previous values back: the same bits, whatever the update was (an atomic
    add of zero could still turn -0.0 into 0.0 or flush a subnormal).
    """
    if xp is np:
        keep = ~locked[rows]
        scatter_rows(xp, W, rows[keep], coef[keep], src, src_row[keep], cap, counter)
        return
    before = W[rows]
    scatter_rows(xp, W, rows, coef, src, src_row, cap, counter)
    W[rows] = xp.where(locked[rows][:, None], before, W[rows])


def _scatter_rows_sparse(W, rows, coef, src, src_row, cap=None):
    """numpy: one sparse (unique rows x src rows) product, no per-item Python work."""
    unique, update, counts = _sum_rows_sparse(rows, coef, src, src_row)
    if cap is not None:
        update *= np.minimum(1.0, cap / counts).astype(update.dtype)[:, None]
    W[unique] += update


def _sum_rows_sparse(rows, coef, src, src_row):
    from scipy import sparse

    unique, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    mat = sparse.csr_matrix((coef, (inverse, src_row)), shape=(len(unique), len(src)))
    return unique, mat @ src, counts


def sum_rows(xp, rows, coef, src, src_row, scratch):
    """Per-row sums of ``coef[i] * src[src_row[i]]``: ``(index, sums)`` with ``sums[j]`` for row ``index[j]``.

    numpy returns unique rows. CuPy sums into the zeroed ``scratch`` (no host
    sync for a unique) and returns ``rows`` with duplicates, each duplicate
    carrying the same full sum; ``scratch`` is zeroed again.
    """
    if xp is np:
        unique, sums, _ = _sum_rows_sparse(rows, coef, src, src_row)
        return unique, sums
    xp.add.at(scratch, rows, coef[:, None] * src[src_row])
    sums = scratch[rows]
    scratch[rows] = 0.0
    return rows, sums


# --------------------------------------------------------------------- layers
class Embedding:
    """Row lookup ``W[idx]``. Its gradient stays sparse: ``(rows, coef, src, src_row)``
    means ``dW[rows[i]] += coef[i] * src[src_row[i]]`` (see :func:`scatter_rows`)."""

    def __init__(self, W):
        self.W = W

    def forward(self, idx):
        return self.W[idx]


class CBOW:
    """Weighted mean of the context rows: ``h[b] = sum_c weight[b, c] * W_in[ctx[b, c]]``.

    ``weight`` is ``mask / count`` (the mean over the real context words,
    padding weighted 0). ``backward`` spreads ``dh`` to the context rows:
    scaled by ``weight`` (the exact gradient) or, word2vec style, by the
    mask only (``neu1e`` added undivided to every context word).
    """

    def __init__(self, xp, W_in):
        self.xp, self.embed = xp, Embedding(W_in)

    def forward(self, ctx, weight):
        self.ctx, self.weight = ctx, weight
        rows = self.embed.forward(ctx)                        # (B, C, d)
        return (weight[:, None, :] @ rows)[:, 0, :]           # (B, d)

    def backward(self, dh, exact=True):
        xp = self.xp
        coef = self.weight if exact else (self.weight > 0).astype(dh.dtype)
        batch, width = self.ctx.shape
        src_row = xp.repeat(xp.arange(batch, dtype=xp.int32), width)
        return self.ctx.ravel(), coef.ravel(), dh, src_row


class EmbeddingDot:
    """Scores ``h[b] . W_out[idx[b, k]]`` for the target and its negatives at once."""

    def __init__(self, xp, W_out):
        self.xp, self.embed = xp, Embedding(W_out)

    def forward(self, h, idx):
        self.h, self.idx = h, idx
        self.rows = self.embed.forward(idx)                   # (B, K, d)
        return (self.rows @ h[:, :, None])[:, :, 0]           # (B, K)

    def backward(self, dscore):
        """Return ``dh`` (B, d) and the sparse gradient of ``W_out``."""
        xp = self.xp
        dh = (dscore[:, None, :] @ self.rows)[:, 0, :]
        batch, k = self.idx.shape
        src_row = xp.repeat(xp.arange(batch, dtype=xp.int32), k)
        return dh, (self.idx.ravel(), dscore.ravel(), self.h, src_row)


class SigmoidWithLoss:
    """Sigmoid cross-entropy per score; column 0 has label 1, the others label 0.

    ``valid`` weights each pair (0 for a negative equal to its target,
    which word2vec skips). Computed stably through ``logaddexp``.
    """

    def __init__(self, xp):
        self.xp = xp

    def forward(self, score, valid):
        xp = self.xp
        self.valid = valid
        nlog_sig = xp.logaddexp(0, -score)                    # -log sigmoid(score)
        self.sig = xp.exp(-nlog_sig)
        loss = nlog_sig + score                               # label 0: -log(1 - sigmoid)
        loss[:, 0] = nlog_sig[:, 0]                           # label 1
        return (loss * valid).sum(axis=1)                     # per target

    def backward(self, dloss):
        """``dloss`` (B,) scales each target's loss; returns dscore (B, K)."""
        dscore = self.sig.copy()
        dscore[:, 0] -= 1.0
        return dscore * self.valid * dloss[:, None]


class NegativeSamplingLoss:
    """Draw negatives from the alias table, score them with the target, and sum the losses."""

    def __init__(self, xp, W_out, sampler, negative):
        self.xp = xp
        self.dot = EmbeddingDot(xp, W_out)
        self.sampler = sampler
        self.negative = negative
        self.loss_layer = SigmoidWithLoss(xp)

    def forward(self, h, target):
        xp = self.xp
        neg = self.sampler.sample((len(target), self.negative))
        idx = xp.concatenate([target[:, None], neg], axis=1)
        valid = (idx != target[:, None]).astype(h.dtype)
        valid[:, 0] = 1.0
        score = self.dot.forward(h, idx)
        return self.loss_layer.forward(score, valid)

    def backward(self, dloss):
        return self.dot.backward(self.loss_layer.backward(dloss))


class CBOWModel:
    """The textbook's CBOW: ``CBOW`` context mean + ``NegativeSamplingLoss``."""

    def __init__(self, xp, W_in, W_out, sampler, negative):
        self.context = CBOW(xp, W_in)
        self.ns_loss = NegativeSamplingLoss(xp, W_out, sampler, negative)

    def forward(self, ctx, weight, target):
        h = self.context.forward(ctx, weight)
        return self.ns_loss.forward(h, target)

    def backward(self, dloss, exact=True):
        """Return ``(grad_in, grad_out)`` as sparse ``(rows, coef, src, src_row)`` gradients."""
        dh, grad_out = self.ns_loss.backward(dloss)
        return self.context.backward(dh, exact), grad_out


# ----------------------------------------------------------------- optimizers
class SGD:
    """word2vec's update: per-example gradients times their own rate, summed into the rows.

    ``locked`` (bool per word on ``xp``, or None): rows of ``W_in`` never changed.
    """

    def __init__(self, xp, W_in, W_out, cap=ROW_CAP, locked=None):
        self.xp, self.params, self.cap = xp, (W_in, W_out), cap
        self.counter = None if xp is np else xp.zeros(len(W_in), dtype=xp.int32)
        self.locked = locked

    def update(self, model, alpha):
        """One step after ``model.forward``: each target's gradient scaled by its own rate."""
        self.step(model.backward(alpha, exact=False))

    def step(self, grads):
        """Add the sparse gradients, already scaled by the per-target rates, to the weights."""
        for W, locked, (rows, coef, src, src_row) in zip(self.params, (self.locked, None), grads):
            if locked is None:
                scatter_rows(self.xp, W, rows, -coef, src, src_row, self.cap, self.counter)
            else:
                scatter_rows_unlocked(self.xp, W, locked, rows, -coef, src, src_row, self.cap,
                                      self.counter)


class LazyAdam:
    """Adam on the rows a batch touched only (moments of the other rows are untouched).

    Each touched row's gradient is summed first (:func:`sum_rows`); rows
    listed more than once (CuPy) compute and write identical values.
    ``locked`` (bool per word on ``xp``, or None): rows of ``W_in`` whose
    weights and moments never change.
    """

    def __init__(self, xp, W_in, W_out, betas=ADAM_BETAS, eps=ADAM_EPS, locked=None):
        self.xp, self.params = xp, (W_in, W_out)
        self.moments = [(xp.zeros_like(W), xp.zeros_like(W)) for W in self.params]
        self.scratch = None if xp is np else xp.zeros_like(W_in)
        self.betas, self.eps, self.t = betas, eps, 0
        self.locked = locked

    def update(self, model, alpha):
        """One step after ``model.forward``: the mean loss's exact gradient, rate ``alpha[0]``."""
        batch = self.xp.full_like(alpha, 1.0 / len(alpha))
        self.step(model.backward(batch, exact=True), lr=alpha[0])

    def step(self, grads, lr):
        """Adam on the rows the sparse gradients touch, with step size ``lr``."""
        self.t += 1
        b1, b2 = self.betas
        lr_t = lr * np.float32(np.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t))
        xp = self.xp
        for W, (m, v), grad, locked in zip(self.params, self.moments, grads, (self.locked, None)):
            rows, g = sum_rows(xp, *grad, self.scratch)
            if locked is not None and xp is np:  # unique rows: drop the locked ones
                keep = ~locked[rows]
                rows, g = rows[keep], g[keep]
            m_r = np.float32(b1) * m[rows] + np.float32(1.0 - b1) * g
            v_r = np.float32(b2) * v[rows] + np.float32(1.0 - b2) * (g * g)
            new = W[rows] - lr_t * m_r / (xp.sqrt(v_r) + np.float32(self.eps))
            if locked is not None and xp is not np:  # no host sync: keep their values
                frozen = locked[rows][:, None]
                m_r, v_r = xp.where(frozen, m[rows], m_r), xp.where(frozen, v[rows], v_r)
                new = xp.where(frozen, W[rows], new)
            m[rows], v[rows] = m_r, v_r
            W[rows] = new


_OPTIMIZERS = {"sgd": SGD, "adam": LazyAdam}


# ------------------------------------------------------------ block building
def subsample(rng, ids, keep_prob):
    """Keep each token with probability ``keep_prob[id]`` (one uniform draw per token)."""
    return rng.random_sample(len(ids)) < keep_prob[ids]


def context_matrix(xp, rng, kept, doc, window):
    """Context ids and a validity mask of every kept token, word2vec's dynamic window.

    ``kept`` are the surviving token ids of a block in order and ``doc``
    their document numbers. Each target draws ``b`` in [0, window) and sees
    the ``window - b`` kept neighbours on each side inside its document.
    Returns ``ctx`` (n, 2 * window) int32 and ``mask`` (n, 2 * window) bool.
    """
    n = len(kept)
    offs = xp.concatenate([xp.arange(-window, 0), xp.arange(1, window + 1)]).astype(xp.int64)
    reach = window - (rng.random_sample(n) * window).astype(xp.int64)        # in [1, window]
    pos = xp.arange(n, dtype=xp.int64)[:, None] + offs[None, :]
    inside = (pos >= 0) & (pos < n)
    pos = xp.clip(pos, 0, max(n - 1, 0))
    mask = inside & (xp.abs(offs)[None, :] <= reach[:, None]) & (doc[pos] == doc[:, None])
    return kept[pos], mask


class Block(NamedTuple):
    """Training examples of one block of documents (targets with at least one context word)."""

    target: object     # (n,) int32 word ids
    ctx: object        # (n, 2 * window) int32
    weight: object     # (n, 2 * window) float32: mask / context count
    alpha: object      # (n,) float32: learning rate per target
    n_kept: int        # tokens left after subsampling



# --------------------------------------------------------------------- engine
class MinibatchEngine(Engine):
    """Trains ``syn0`` / ``syn1neg`` with the layered CBOW in minibatches on numpy or CuPy.

    On numpy the host matrices are trained in place; on CuPy they are
    copied to the device once and copied back by :meth:`finalize`.

    Parameters
    ----------
    corpus : EncodedCorpus
    tables : TrainingTables
        Its ``locked`` words' rows of ``syn0`` are left bit-identical.
    syn0, syn1neg : float32 (n_words, dim) weight matrices (host)
    window, negative : int
    random_state : numpy RandomState
    batch_size : int or "auto"
        Targets per step; "auto" is :func:`auto_batch_size`.
    optimizer : {"sgd", "adam"}
    xp : numpy or cupy
    device_index : int or None
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 batch_size, optimizer, xp, device_index):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state)
        self.xp, self.device_index = xp, device_index
        self.host = (syn0, syn1neg)
        self.batch_size = (auto_batch_size(xp, len(tables.prob)) if batch_size == "auto"
                           else int(batch_size))
        self.block_words = max(BLOCK_WORDS_CPU if xp is np else BLOCK_WORDS_GPU,
                               4 * self.batch_size)
        self.offsets = np.asarray(corpus.offsets)
        with self._device(), self._oom_guard():
            self.ids = xp.asarray(corpus.ids)
            self.doc = xp.asarray(np.repeat(np.arange(self.n_docs, dtype=np.int32),
                                            np.diff(self.offsets)))
            self.keep_prob = xp.asarray(tables.keep_prob, dtype=xp.float32)
            self.alias_table = (xp.asarray(tables.prob, dtype=xp.float32),
                                xp.asarray(tables.alias, dtype=xp.int32))
            self.syn0, self.syn1neg = xp.asarray(syn0), xp.asarray(syn1neg)
            locked = locked_rows(tables, len(syn0)) != 0
            self.locked = xp.asarray(locked) if locked.any() else None  # None: the plain update
            self.optimizer = _OPTIMIZERS[optimizer](xp, self.syn0, self.syn1neg,
                                                    locked=self.locked)

    def finalize(self):
        """Copy the trained weights back into the host ``syn0`` / ``syn1neg`` (in place)."""
        with self._device():
            copy_to_host(self.host, self.weights())

    def _device(self):
        return device_scope(self.xp, self.device_index)

    def _oom_guard(self):
        return memory_hint(_OOM_HINT.format(self.batch_size))

    def _rng(self):
        """A device generator seeded from ``random_state`` (one draw per call)."""
        seed = int(self.random_state.randint(0, 2**31 - 1))
        return self.xp.random.RandomState(seed)

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train documents ``doc_lo:doc_hi`` of ``epoch`` block by block, reporting each block."""
        rng = self._rng()
        sampler = UnigramSampler.from_table(*self.alias_table, self.negative, rng, self.xp)
        model = CBOWModel(self.xp, self.syn0, self.syn1neg, sampler, self.negative)
        _, words = plan_chunks(self.offsets, self.block_words, doc_lo, doc_hi)
        with self._device(), self._oom_guard():
            for lo, hi in zip(words[:-1], words[1:]):
                block = self._block(int(lo), int(hi), epoch, schedule, rng)
                loss = self._train_block(model, block)
                report(ChunkTally(int(hi - lo), loss, len(block.target), block.n_kept))

    def _block(self, lo, hi, epoch, schedule, rng):
        """Subsample, window and filter corpus words ``lo:hi``; per-target learning rates."""
        xp = self.xp
        keep = subsample(rng, self.ids[lo:hi], self.keep_prob)
        where = xp.nonzero(keep)[0]
        kept, doc = self.ids[lo:hi][where], self.doc[lo:hi][where]
        ctx, mask = context_matrix(xp, rng, kept, doc, self.window)
        count = mask.sum(axis=1)
        has = xp.nonzero(count)[0]
        has = has[rng.permutation(len(has))]          # shuffle within the block
        weight = mask[has].astype(xp.float32) / count[has, None].astype(xp.float32)
        alpha = schedule.alpha_at(schedule.position(epoch, lo + where[has]))
        return Block(kept[has], ctx[has], weight, alpha.astype(xp.float32), len(kept))

    def _train_block(self, model, block):
        """Run the steps of one block; return its float64 loss sum (one host sync)."""
        xp, B = self.xp, self.batch_size
        loss_sum = xp.zeros((), dtype=xp.float64)
        for s in range(0, len(block.target), B):
            loss = model.forward(block.ctx[s:s + B], block.weight[s:s + B], block.target[s:s + B])
            loss_sum += loss.sum(dtype=xp.float64)
            self.optimizer.update(model, block.alpha[s:s + B])
        return float(loss_sum)

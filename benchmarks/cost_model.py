"""Cost model of a cluster fit (skw2v.dask) from inputs measured on this machine.

    python benchmarks/cost_model.py --json benchmarks/results/cost_model.json

Predicts the training words/s of a fit on K machines of C cores (K = 2 ... 64,
C = 16 and 2) at 1, 10 and 25 GbE, for vocabularies of 100k, 1M and 3M words
and d = 100 and 300, for the two strategies of :mod:`skw2v.dask`, against one
such machine running the local estimator. Words/s = corpus tokens x epochs /
training seconds (reading, vocabulary and encoding excluded, as in the other
benchmarks; the one-time final sync of all rows excluded too).

Measured here, one after another (run it on an otherwise idle machine):

1. r(d): hogwild words/s of ``CBOWVectorizer(vector_size=d, n_jobs=t, epochs=1,
   min_count=5, token_pattern=r"\\S+", lowercase=False).fit(LineCorpus(english))``
   at t = 1 and 2 threads, training seconds = the sum of ``EpochStats.seconds``
   (fastest of ``--repeats`` fits, after a warm-up fit). The reading rate (fit
   seconds less training seconds) is kept for the "single" strategy's readers.
2. Dask's transfer rate between two worker processes of
   ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``: a task on
   worker A returns a float32 array, a task on worker B consumes it; the
   transfer's seconds are the "transfer" startstop of the consuming task in
   ``get_task_stream`` (median of 5). Raw TCP: the same bytes ``sendall`` /
   ``recv_into`` between two processes on loopback, then a 1-byte ack (median of
   5). eta = dask / raw, the lowest of 8 and 64 MB.
3. Hops: chains of 200 dependent no-op tasks alternating between the two workers,
   and on one worker (released by a gate task, so that submitting is not timed).
   Cost of a task: 2,000 independent no-ops released by a gate task: wall seconds
   per task, and CPU seconds per task of the scheduler (LocalCluster runs it in
   this process, with the client) and of the workers (``time.process_time``).
4. Sync CPU on real changes: a replica of the english vocabulary trains 300k
   words, syncs every row, trains one round (the words one C-core machine trains
   in ``MIN_ROUND_SECONDS``, 2 threads, at the rates of a 5-epoch fit's third
   epoch); then :func:`~skw2v._engines.replicas.give` (``take_pieces`` and the
   synced copy's update), :func:`~skw2v._engines.replicas.merge_pieces` (K = 2 and
   8 pieces, rule "adaptive") and :func:`~skw2v._engines.replicas.apply_merged` on
   its top 8,192 rows at d = 100 and 300 -> seconds per row per dimension.

The model (pure functions below, ``inputs`` dict -> prediction):

* one machine: R(d, C) = r1(d) x C x e(d), e(d) = words/s at 2 threads /
  (2 x words/s at 1 thread), *assumed* to hold at C threads (measured for C = 2).
* "parallel", per sync of H rows (the tiers of ``replicas.sync_rows``):
  T_train = max(min_round, auto_round_words(K) / R); bytes a worker sends (and
  receives) = 2 matrices x 2 (K-1)/K x H x d x w (w: ``replicas.WIRE``'s bytes);
  T_x = bytes / (eta x line rate) + 2 (K-1) x (hop_alt - hop_same) / incoming
  transfer slots; T_sched = (K^2 + 2K) tasks a round x scheduler CPU a task;
  cpu_serial = H d (give + apply) (in the train task); cpu_merge = H/K d (m0 + m1 K);
  cpu_tasks = (K + 2) tasks a worker a round x worker CPU a task;
  P(H) = max(T_train, T_sched) + T_x + 2 hop_alt + cpu_serial + cpu_merge + cpu_tasks
  (each round waits for its sync, replicas.LAG = 1; the scheduler works while they train);
  words/s = K x R x T_train / E[P], E over the tiers; sync share = 1 - T_train / E[P].
* "single": R(d, C) if the encoded corpus (4 bytes a token) reaches the trainer
  fast enough, 4 R <= eta x line rate; else eta x line rate / 4 (one epoch).
* winner: the strategy with more words/s; both are compared with R(d, C).
"""

import argparse
import collections
import functools
import json
import logging
import math
import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from itertools import pairwise

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # also puts the repo root on sys.path
import corpora

from skw2v._engines import replicas
from skw2v._engines.rounds import auto_round_words

MACHINES = (2, 4, 8, 16, 32, 64)
CORES = (16, 2)
LINKS_GBE = (1, 10, 25)
VOCABS = (100_000, 1_000_000, 3_000_000)
DIMS = (100, 300)
MIN_ROUND_SECONDS = 0.1     # pWord2Vec's sync period (-sync-period 0.1)
MIN_ROUND_ALT = 0.05
MIN_ROUND_LONG = 0.5        # what longer rounds (fewer syncs) would buy
N_SYNCS = 1 << 18           # syncs averaged over for E[H] and E[P]
BYTES_PER_TOKEN = 4         # int32 ids: what "single" ships to its trainer
JUDGED = {"machines": 16, "cores": 16, "link_gbe": 10, "n_words": 1_000_000, "dim": 300}
SYNC_CPU_ROWS = 8192
SYNC_WARM_WORDS = 300_000  # trained before the sync CPU's round: the vectors take shape
WIRE_BYTES = np.dtype(getattr(replicas, "WIRE", np.float32)).itemsize  # bytes a synced value
TRANSFER_MB = (1, 8, 64)
ETA_MB = (8, 64)            # sizes eta is taken from
CHAIN = 200
THROUGHPUT_TASKS = 2000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ============================================================================ model
def _at(mapping, key):
    """``mapping[key]``, or ``mapping[str(key)]`` (inputs read back from JSON)."""
    return mapping[key] if key in mapping else mapping[str(key)]


@functools.cache
def sync_tiers(n_words, n_syncs=N_SYNCS):
    """Rows a sync covers and how often: ``((rows, fraction of syncs), ...)``.

    Parameters
    ----------
    n_words : int
        Vocabulary size V.
    n_syncs : int
        Syncs ``n = 1 .. n_syncs`` counted with
        :func:`skw2v._engines.replicas.sync_rows`.

    Returns
    -------
    tuple of (int, float)
        Distinct tier sizes, ascending, with the fraction of syncs of that size.
    """
    counts = collections.Counter(replicas.sync_rows(n, n_words) for n in range(1, n_syncs + 1))
    return tuple((rows, c / n_syncs) for rows, c in sorted(counts.items()))


def expected_sync_rows(n_words, n_syncs=N_SYNCS):
    """E[H]: the mean rows of a sync, over syncs ``1 .. n_syncs`` (float)."""
    return sum(rows * p for rows, p in sync_tiers(n_words, n_syncs))


def link_bytes_per_s(link_gbe):
    """Line rate of a ``link_gbe`` gigabit Ethernet link in bytes/s."""
    return link_gbe * 1e9 / 8


def machine_words_per_s(inputs, dim, cores):
    """Training words/s of one machine (the local estimator) on ``cores`` threads.

    Parameters
    ----------
    inputs : dict
        Measured inputs: ``train[dim]["words_per_s_1"]`` (one thread) and
        ``thread_efficiency[dim]`` (words/s at 2 threads / twice that at 1).
    dim : int
    cores : int

    Returns
    -------
    float
        ``r1(d) * cores * e(d)``: the per-thread efficiency measured at 2 threads,
        assumed at ``cores`` threads.
    """
    r1 = _at(_at(inputs["train"], dim), "words_per_s_1")
    return r1 * cores * _at(inputs["thread_efficiency"], dim)


def sync_bytes(machines, rows, dim, wire_bytes=4):
    """Bytes one worker sends (and receives) for a sync of ``rows`` rows of both matrices:
    reduce-scatter + all-gather by ``machines`` row blocks,
    ``2 * 2 (K-1)/K * rows * d * wire_bytes`` (``replicas.WIRE``'s size; 4: float32)."""
    return 2 * 2 * (machines - 1) / machines * rows * dim * wire_bytes


def sync_transfer_seconds(inputs, machines, link_gbe, rows, dim):
    """T_x: seconds one worker's sync transfers take.

    Bytes at ``eta`` x line rate, plus the fixed cost of the ``2 (K-1)`` transfers
    (pieces in, merged blocks in): ``hop_alt_s - hop_same_s`` each (a chain hop
    across workers less one on a worker), ``transfer_slots`` of them at once
    (distributed's ``worker.connections.incoming``).
    """
    rate = inputs["eta"] * link_bytes_per_s(link_gbe)
    fixed = max(inputs["hop_alt_s"] - inputs["hop_same_s"], 0.0)
    return (sync_bytes(machines, rows, dim, inputs.get("wire_bytes", 4)) / rate
            + 2 * (machines - 1) * fixed / inputs["transfer_slots"])


def sync_cpu_seconds(inputs, machines, rows, dim, cores):
    """``(serial, merge)`` CPU seconds of one worker's share of a sync of ``rows`` rows.

    ``serial``: :func:`~skw2v._engines.replicas.give` and ``apply_merged`` over all
    ``rows`` (they run in the train task, before it trains); ``merge``: merging its
    block of ``rows / K`` rows from K pieces, ``rows/K * d * (m0 + m1 K)`` (beside
    training, charged in full: an upper bound). Coefficients per row x dim from
    ``inputs["cpu"][cores][dim]`` (measured after a round of a C-core machine; the
    nearest measured ``cores`` if not that one).
    """
    measured = {int(c): v for c, v in inputs["cpu"].items()}
    cpu = _at(measured[min(measured, key=lambda c: abs(c - cores))], dim)
    serial = rows * dim * (cpu["give"] + cpu["apply"])
    merge = rows / machines * dim * (cpu["merge_fixed"] + cpu["merge_per_piece"] * machines)
    return serial, merge


def round_seconds(inputs, machines, cores, link_gbe, rows, dim, min_round=MIN_ROUND_SECONDS):
    """Wall seconds of one "parallel" round whose sync covers ``rows`` rows.

    Parameters
    ----------
    inputs : dict
        Measured inputs (see :func:`predict`).
    machines, cores, link_gbe, rows, dim : int
    min_round : float
        Seconds of training a round takes at least.

    Returns
    -------
    dict
        ``train`` (T_train), ``transfer`` (T_x), ``sched`` (T_sched: the scheduler's
        ``K^2 + 2K`` tasks a round: K trains, K (K - 1) piece getters (an owner reads its
        own piece in its merge), K merges, K tallies), ``cpu`` (serial + merge + the
        workers' task overhead, ``K + 2`` tasks each),
        and ``round`` (P: each round waits for its sync).
    """
    t_train = max(min_round, auto_round_words(machines) / machine_words_per_s(inputs, dim, cores))
    t_x = sync_transfer_seconds(inputs, machines, link_gbe, rows, dim)
    t_sched = (machines * machines + 2 * machines) * inputs["task_s"]
    serial, merge = sync_cpu_seconds(inputs, machines, rows, dim, cores)
    tasks = (machines + 2) * inputs.get("task_worker_s", 0.0)
    # a round waits for its sync (replicas.LAG = 1): training, then the pieces' hop and
    # transfer, the merge, the merged blocks' hop back; the scheduler's work for the round
    # overlaps the training
    steady = (max(t_train, t_sched) + t_x + 2 * inputs["hop_alt_s"] + serial + merge + tasks)
    return {"train": t_train, "transfer": t_x, "sched": t_sched,
            "cpu": serial + merge + tasks, "round": steady}


def predict_parallel(inputs, machines, cores, link_gbe, n_words, dim,
                     min_round=MIN_ROUND_SECONDS):
    """Words/s of a "parallel" fit on ``machines`` machines: ``K R T_train / E[P]``.

    Returns
    -------
    dict
        ``words_per_s``, ``speedup`` (over one machine), ``sync_share``
        (``1 - T_train / E[P]``), ``expected_rows`` (E[H]) and the expected round
        components (seconds): ``train``, ``transfer``, ``sched``, ``cpu``, ``round``.
    """
    parts = collections.Counter()
    for rows, p in sync_tiers(n_words):
        for key, value in round_seconds(inputs, machines, cores, link_gbe, rows, dim,
                                        min_round).items():
            parts[key] += p * value
    one = machine_words_per_s(inputs, dim, cores)
    speedup = machines * parts["train"] / parts["round"]
    return dict(words_per_s=speedup * one, speedup=speedup,
                sync_share=1 - parts["train"] / parts["round"],
                expected_rows=expected_sync_rows(n_words),
                **{f"{key}_s": parts[key] for key in ("train", "transfer", "sched", "cpu",
                                                      "round")})


def predict_single(inputs, cores, link_gbe, dim):
    """Words/s of a "single" fit: one machine trains, fed 4 bytes a token by the others.

    Returns
    -------
    dict
        ``words_per_s`` (one machine's, or the feed's ``eta * line / 4`` when lower),
        ``feed_need`` and ``feed_capacity`` (bytes/s), ``feed_keeps_up`` (bool),
        ``readers`` (reading processes needed at the measured reading rate).
    """
    one = machine_words_per_s(inputs, dim, cores)
    capacity = inputs["eta"] * link_bytes_per_s(link_gbe)
    return {"words_per_s": min(one, capacity / BYTES_PER_TOKEN),
            "feed_need": BYTES_PER_TOKEN * one, "feed_capacity": capacity,
            "feed_keeps_up": BYTES_PER_TOKEN * one <= capacity,
            "readers": one / inputs["read_words_per_s"]}


def predict(inputs, machines, cores, link_gbe, n_words, dim, min_round=MIN_ROUND_SECONDS):
    """Both strategies on ``machines`` machines of ``cores`` cores against one machine.

    Parameters
    ----------
    inputs : dict
        The measured inputs (:func:`measure_inputs`, or ``inputs`` of the JSON
        this script writes): ``train``, ``thread_efficiency``, ``read_words_per_s``,
        ``eta``, ``hop_same_s``, ``hop_alt_s``, ``task_s``, ``transfer_slots``, ``cpu``.
    machines, cores, link_gbe, n_words, dim : int
        K, C, the link in GbE, V and d.
    min_round : float
        Seconds of training a "parallel" round takes at least.

    Returns
    -------
    dict
        The case, ``one_machine`` words/s, ``parallel`` and ``single``
        (:func:`predict_parallel`, :func:`predict_single`), ``winner`` and
        ``winner_speedup`` (the winner's words/s over one machine's).
    """
    one = machine_words_per_s(inputs, dim, cores)
    par = predict_parallel(inputs, machines, cores, link_gbe, n_words, dim, min_round)
    single = predict_single(inputs, cores, link_gbe, dim)
    winner = "parallel" if par["words_per_s"] > single["words_per_s"] else "single"
    best = max(par["words_per_s"], single["words_per_s"])
    return {"machines": machines, "cores": cores, "link_gbe": link_gbe, "n_words": n_words,
            "dim": dim, "min_round": min_round, "one_machine": one, "parallel": par,
            "single": single, "winner": winner, "winner_speedup": best / one}


def predictions(inputs, min_round=MIN_ROUND_SECONDS, cores=CORES):
    """:func:`predict` for every K, C, link, V and d of the tables (a list of dicts)."""
    return [predict(inputs, k, c, link, v, d, min_round)
            for c in cores for d in DIMS for v in VOCABS for link in LINKS_GBE for k in MACHINES]


# ====================================================================== measurements
def measure_training(path, repeats):
    """r(d) at 1 and 2 threads and the reading rate: fastest of ``repeats`` fits each."""
    from skw2v import CBOWVectorizer, LineCorpus

    def fit(dim, threads, corpus):
        stats = []
        est = CBOWVectorizer(vector_size=dim, n_jobs=threads, epochs=1, min_count=5,
                             token_pattern=r"\S+", lowercase=False, verbose=0, random_state=0,
                             callbacks=[lambda _, s: stats.append(s)])
        t0 = time.perf_counter()
        est.fit(corpus)
        fit_s = time.perf_counter() - t0
        train_s = sum(s.seconds for s in stats)
        return est.corpus_total_words_, train_s, fit_s - train_s

    with open(path, encoding="utf-8") as f:
        warm = [next(f) for _ in range(5000)]
    for threads in (1, 2):
        fit(100, threads, warm)  # numba JIT / cache load, outside the timings
    best = {}
    for rep in range(repeats):
        for dim in DIMS:
            for threads in (1, 2):
                tokens, train_s, read_s = fit(dim, threads, LineCorpus(path))
                log(f"  fit d={dim} threads={threads} run {rep + 1}: train {train_s:.2f} s "
                    f"({tokens / train_s:,.0f} words/s), read+vocab+encode {read_s:.2f} s")
                key = (dim, threads)
                best[key] = min(best.get(key, (math.inf,)), (train_s, read_s, tokens))
    train = {d: {f"words_per_s_{t}": best[d, t][2] / best[d, t][0] for t in (1, 2)}
             for d in DIMS}
    efficiency = {d: train[d]["words_per_s_2"] / (2 * train[d]["words_per_s_1"]) for d in DIMS}
    reading = min(v[1] for v in best.values())
    tokens = best[DIMS[0], 1][2]
    return {"train": train, "thread_efficiency": efficiency, "corpus_tokens": tokens,
            "read_words_per_s": tokens / reading}


def _make_array(n, seed):
    return np.full(n, seed, np.float32)


def _consume(x):
    return float(x[0])


def _gate(seconds):
    time.sleep(seconds)
    return time.time()


def _after(x, i):
    return time.time()


def _step(x):
    return time.time()


def _transfer_once(client, a, b, n, seed):
    """Seconds distributed's task stream gives the transfer of ``n`` float32 made on worker
    ``a`` to the task on worker ``b`` that consumes them."""
    from distributed import get_task_stream, wait

    x = client.submit(_make_array, n, seed, workers=[a], pure=False)
    wait(x)
    with get_task_stream(client) as ts:
        y = client.submit(_consume, x, workers=[b], allow_other_workers=False, pure=False)
        y.result()
    return sum(ss["stop"] - ss["start"] for rec in ts.data if rec["key"] == y.key
               for ss in rec["startstops"] if ss["action"] == "transfer")


def _chain_seconds(client, workers, n):
    """Seconds per hop of ``n`` dependent no-op tasks on ``workers`` in turn (gated)."""
    gate = client.submit(_gate, 1.0, workers=[workers[0]], pure=False)
    fut = gate
    for i in range(n):
        fut = client.submit(_step, fut, workers=[workers[(i + 1) % len(workers)]], pure=False)
    end = fut.result()
    return (end - gate.result()) / n


def _throughput(client, n):
    """``(wall, scheduler CPU, worker CPU)`` seconds per task of ``n`` independent no-op
    tasks released at once by a gate task. CPU: this process's (LocalCluster's scheduler
    runs in it, with the client: an upper bound of the scheduler's) and the workers'
    (``time.process_time``), from before the gate opens until every task is done."""
    from distributed import wait
    gate = client.submit(_gate, 3.0, pure=False)
    futs = client.map(_after, [gate] * n, range(n), pure=False)
    cpu0, workers0 = time.process_time(), client.run(time.process_time)
    ready = time.time()
    wait(futs)
    cpu1, workers1 = time.process_time(), client.run(time.process_time)
    ends = client.gather(futs)
    if ready > gate.result():
        log("  warning: the tasks were still being submitted when the gate opened")
    return ((max(ends) - gate.result()) / n, (cpu1 - cpu0) / n,
            sum(workers1[w] - workers0[w] for w in workers1) / n)


def measure_dask(repeats=5):
    """Dask's transfer rates, hop latencies and costs per task on a 2-worker LocalCluster."""
    import dask
    from distributed import Client, LocalCluster

    out = {"transfer": {}}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        a, b = sorted(client.scheduler_info()["workers"])
        _transfer_once(client, a, b, 1, 0)  # warm: connections between the workers
        for mb in TRANSFER_MB:
            n = mb * 2**20 // 4
            seconds = statistics.median(_transfer_once(client, a, b, n, r + 1)
                                        for r in range(repeats))
            out["transfer"][mb] = {"bytes": n * 4, "seconds": seconds,
                                   "bytes_per_s": n * 4 / seconds}
            log(f"  dask {mb} MB: transfer {seconds * 1e3:.1f} ms (task stream)")
        _chain_seconds(client, [a, b], 20)  # warm
        out["hop_alt_s"] = statistics.median(_chain_seconds(client, [a, b], CHAIN)
                                             for _ in range(3))
        out["hop_same_s"] = statistics.median(_chain_seconds(client, [a], CHAIN)
                                              for _ in range(3))
        runs = [_throughput(client, THROUGHPUT_TASKS) for _ in range(2)]
        for i, key in enumerate(("task_wall_s", "task_s", "task_worker_s")):
            out[key] = statistics.median(r[i] for r in runs)
        log(f"  hops: {out['hop_alt_s'] * 1e3:.2f} ms across, {out['hop_same_s'] * 1e3:.2f} ms "
            f"on one worker; a task: {out['task_wall_s'] * 1e3:.3f} ms wall, scheduler CPU "
            f"{out['task_s'] * 1e3:.3f} ms, worker CPU {out['task_worker_s'] * 1e3:.3f} ms")
    out["transfer_slots"] = int(dask.config.get("distributed.worker.connections.incoming"))
    return out


def _tcp_receiver(port_queue, sizes, repeats):
    srv = socket.create_server(("127.0.0.1", 0))
    port_queue.put(srv.getsockname()[1])
    conn, _ = srv.accept()
    buf = memoryview(bytearray(max(sizes)))
    for size in sizes:
        for _ in range(repeats + 1):
            got = 0
            while got < size:
                got += conn.recv_into(buf[got:size], size - got)
            conn.sendall(b"k")
    conn.close()
    srv.close()


def measure_raw_tcp(repeats=5):
    """Raw TCP bytes/s on loopback between two processes: ``sendall`` then a 1-byte ack."""
    sizes = [mb * 2**20 for mb in TRANSFER_MB]
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    proc = ctx.Process(target=_tcp_receiver, args=(ports, sizes, repeats))
    proc.start()
    out = {}
    with socket.create_connection(("127.0.0.1", ports.get(timeout=60))) as conn:
        for mb, size in zip(TRANSFER_MB, sizes):
            data = memoryview(np.ones(size // 4, np.float32)).cast("B")
            times = []
            for _ in range(repeats + 1):  # the first one warms the connection
                t0 = time.perf_counter()
                conn.sendall(data)
                conn.recv(1)
                times.append(time.perf_counter() - t0)
            seconds = statistics.median(times[1:])
            out[mb] = {"bytes": size, "seconds": seconds, "bytes_per_s": size / seconds}
            log(f"  raw TCP {mb} MB: {seconds * 1e3:.1f} ms")
    proc.join(timeout=60)
    return out


def _timed(fn, repeats, setup=None):
    """Median seconds of ``fn(setup())`` (``fn()`` without setup) over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def english_setup(path):
    """``(n_words, corpus, tables, updates, workdir)`` of the english corpus, encoded as a
    local fit encodes it (min_count 5, sample 1e-3, ns_exponent 0.75, window 5, negative 5)."""
    from skw2v import CBOWVectorizer, LineCorpus
    from skw2v._corpus import encode
    from skw2v._engines import TrainingTables
    from skw2v._engines.rounds import row_updates
    from skw2v._sampler import alias_table

    est = CBOWVectorizer(token_pattern=r"\S+", lowercase=False, min_count=5)
    workdir = tempfile.mkdtemp(prefix="cost-model-")
    raw = est._read(LineCorpus(path), workdir)
    vocab = est._new_vocabulary(raw)
    corpus = encode(raw, vocab.remap_table(raw.words), est.max_doc_len, workdir)
    keep = vocab.keep_probs(1e-3)
    tables = TrainingTables(keep, *alias_table(vocab.counts, 0.75))
    return len(vocab), corpus, tables, row_updates(vocab.counts, keep, 5, 5, 0.75), workdir


def _sync_cpu_of(rep, rows, updates, levels, repeats):
    """Seconds per row x dim of give, apply_merged and merge_pieces (K = 2, 8) on the top
    ``rows`` rows of a replica whose weights moved since its rows' last sync."""
    dim = rep.weights[0].shape[1]
    cells = rows * dim
    cuts = replicas.block_bounds(rows, 8).tolist()

    def fresh():  # the replica as it is now (give and apply work in place)
        return rep._replace(weights=tuple(w.copy() for w in rep.weights),
                            synced=tuple(s.copy() for s in rep.synced), given=())

    take = _timed(lambda: replicas.take_pieces(rep, cuts), repeats)
    give = _timed(lambda r: replicas.give(r, 1, cuts), repeats, fresh)
    piece = replicas.take_pieces(rep, [0, rows])[0]

    def merge_of(k):  # K distinct copies of the piece, as K workers' pieces
        return _timed(lambda pieces: replicas.merge_pieces(pieces, 0, "adaptive", updates,
                                                           levels, 1), repeats,
                      lambda: [tuple(p.copy() for p in piece) for _ in range(k)])

    merge = {k: merge_of(k) for k in (2, 8)}
    merged = replicas.merge_pieces([piece, piece], 0, "adaptive", updates, levels, 1)
    blocks = [replicas.Merged(lo, tuple(v[lo:hi] for v in merged.values), 1)
              for lo, hi in pairwise(cuts)]
    apply = _timed(lambda r: replicas.apply_merged(r, blocks), repeats,
                   lambda: replicas.give(fresh(), 1, cuts))
    per_piece = (merge[8] - merge[2]) / 6 / cells
    log(f"    {rows} rows x {dim}: take {take * 1e3:.1f} ms, give {give * 1e3:.1f} ms, apply "
        f"{apply * 1e3:.1f} ms, merge K=2 {merge[2] * 1e3:.1f} ms, K=8 {merge[8] * 1e3:.1f} ms")
    return {"take": take / cells, "give": give / cells, "apply": apply / cells,
            "merge_2": merge[2] / cells, "merge_8": merge[8] / cells,
            "merge_per_piece": per_piece, "merge_fixed": merge[2] / cells - 2 * per_piece}


def measure_sync_cpu(setup, round_words, repeats=3):
    """Sync CPU per row x dim on real changes: per cores, per d, :func:`_sync_cpu_of` after a
    round of ``round_words[cores][d]`` words (2 threads, the middle of a 5-epoch schedule)
    trained on a replica warmed by ``SYNC_WARM_WORDS`` words."""
    from skw2v._engines.rounds import share_step
    from skw2v._schedule import Schedule
    from skw2v._vectorizer import init_input_vectors

    n_vocab, corpus, tables, updates, _ = setup
    n = corpus.n_words
    schedule = Schedule(0.025, 1e-4, n, 5)
    out = {c: {} for c in round_words}
    for dim in DIMS:
        syn0 = init_input_vectors(np.random.RandomState(0), n_vocab, dim)
        rep = replicas.start_replica((syn0, np.zeros_like(syn0)))
        pos = _train_round(rep, tables, corpus, schedule, 0, SYNC_WARM_WORDS)
        for cores in sorted(round_words):
            replicas.give(rep._replace(given=()), 0, [0, n_vocab])  # every row synced now
            hi = _train_round(rep, tables, corpus, schedule, pos, _at(round_words[cores], dim))
            words, step = hi - pos, share_step(schedule, 2 * n + pos, [hi - pos])
            pos = hi
            log(f"  sync CPU, d={dim}, after a round of {words:,} words (C={cores}):")
            levels = [(SYNC_CPU_ROWS, step)]
            out[cores][dim] = {**_sync_cpu_of(rep, SYNC_CPU_ROWS, updates, levels, repeats),
                               "round_words": words}
    return out


def _train_round(rep, tables, corpus, schedule, lo, words):
    """Train ``rep`` in place on corpus words ``lo:lo + words`` (2 threads, at the rates of
    the schedule's third epoch); return where it stopped (the corpus' end at the latest)."""
    from skw2v._engines.rounds import train_on

    n = corpus.n_words
    hi = min(lo + int(words), n)
    train_on(rep.weights, tables, [corpus], [0], lo, hi, schedule, 2 * n + lo, 1.0,
             window=5, negative=5, seed=lo, n_threads=2)
    return hi


def measure_inputs(repeats):
    """Every input of the model, measured here (see the module docstring)."""
    path = corpora.prepare_english()
    log("1/4 training words/s (english, 1 epoch)")
    inputs = measure_training(path, repeats)
    log("2-3/4 dask transfers, hops and tasks (LocalCluster, 2 worker processes)")
    dask_out = measure_dask()
    log("2/4 raw TCP on loopback")
    raw = measure_raw_tcp()
    etas = {mb: dask_out["transfer"][mb]["bytes_per_s"] / raw[mb]["bytes_per_s"]
            for mb in TRANSFER_MB}
    inputs.update(dask=dask_out["transfer"], raw_tcp=raw, eta_by_mb=etas,
                  eta=min(etas[mb] for mb in ETA_MB),
                  **{k: dask_out[k] for k in ("hop_alt_s", "hop_same_s", "task_s",
                                               "task_wall_s", "task_worker_s",
                                               "transfer_slots")})
    log("4/4 sync CPU (english, real changes)")
    setup = english_setup(path)
    round_words = {c: {d: machine_words_per_s(inputs, d, c) * MIN_ROUND_SECONDS for d in DIMS}
                   for c in CORES}
    inputs["cpu"] = measure_sync_cpu(setup, round_words)
    workdir = setup[-1]
    del setup
    shutil.rmtree(workdir, ignore_errors=True)
    inputs["wire_bytes"] = WIRE_BYTES
    return inputs


# =========================================================================== report
def _si(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def inputs_table(inputs):
    rows = []
    for d in DIMS:
        t = _at(inputs["train"], d)
        rows.append((f"r1(d={d}): words/s, 1 thread", f"{t['words_per_s_1']:,.0f}",
                     "english 1 epoch, sum of EpochStats.seconds, fastest run"))
        rows.append((f"words/s at 2 threads, d={d}", f"{t['words_per_s_2']:,.0f}",
                     f"same; s(2) = {t['words_per_s_2'] / t['words_per_s_1']:.2f}x"))
        rows.append((f"e(d={d}): per-thread efficiency",
                     f"{_at(inputs['thread_efficiency'], d):.2f}",
                     "s(2)/2; ASSUMED the same at 16 threads"))
    rows.append(("reading (read+vocab+encode) words/s", f"{inputs['read_words_per_s']:,.0f}",
                 "fit seconds less training seconds, one process"))
    for mb in TRANSFER_MB:
        dk, raw = _at(inputs["dask"], mb), _at(inputs["raw_tcp"], mb)
        rows.append((f"transfer {mb} MB: dask vs raw TCP",
                     (f"{dk['bytes_per_s'] / 1e6:,.0f} vs {raw['bytes_per_s'] / 1e6:,.0f} MB/s "
                      f"(eta {_at(inputs['eta_by_mb'], mb):.2f})"),
                     "task stream 'transfer' A->B / sendall+ack on loopback, medians of 5"))
    rows.append(("eta (used)", f"{inputs['eta']:.2f}",
                 f"lowest of {', '.join(f'{mb} MB' for mb in ETA_MB)}; applied to line rate"))
    rows.append(("hop across workers", f"{inputs['hop_alt_s'] * 1e3:.2f} ms",
                 f"chain of {CHAIN} no-op tasks alternating A/B, median of 3"))
    rows.append(("hop on one worker", f"{inputs['hop_same_s'] * 1e3:.2f} ms",
                 f"chain of {CHAIN} no-op tasks on A, median of 3"))
    rows.append(("a task: wall / scheduler CPU / worker CPU",
                 (f"{inputs['task_wall_s'] * 1e3:.3f} / {inputs['task_s'] * 1e3:.3f} / "
                  f"{inputs['task_worker_s'] * 1e3:.3f} ms"),
                 (f"{THROUGHPUT_TASKS} independent no-ops released by a gate task, median of 2; "
                  "scheduler CPU includes the client's (same process); the model uses the CPU "
                  "figures")))
    rows.append(("incoming transfer slots", str(inputs["transfer_slots"]),
                 "dask config distributed.worker.connections.incoming"))
    for cores, by_dim in sorted(inputs["cpu"].items(), key=lambda kv: -int(kv[0])):
        for d in DIMS:
            c = _at(by_dim, d)
            rows.append((f"sync CPU, C={cores} round, d={d}: ns per row x dim",
                         (f"give {c['give'] * 1e9:.2f} (take {c['take'] * 1e9:.2f}), apply "
                          f"{c['apply'] * 1e9:.2f}, merge K=2 {c['merge_2'] * 1e9:.2f}, K=8 "
                          f"{c['merge_8'] * 1e9:.2f}"),
                         (f"replicas.* on the top {SYNC_CPU_ROWS} rows after a round of "
                          f"{c['round_words']:,} words (english, 2 threads), median of 3")))
    rows.append(("bytes a synced value", str(inputs.get("wire_bytes", 4)),
                 "replicas.WIRE (float32 if absent)"))
    return C.table(["input", "value", "how measured"], rows)


def _cell(p):
    par = p["parallel"]
    mark = "" if p["winner"] == "parallel" else " S"
    return f"{par['speedup']:.1f}x {par['sync_share']:.0%}{mark}"


def grid_table(preds, cores, dim, min_round):
    cols = [(v, link) for v in VOCABS for link in LINKS_GBE]
    by = {(p["machines"], p["n_words"], p["link_gbe"]): p for p in preds
          if p["cores"] == cores and p["dim"] == dim and p["min_round"] == min_round}
    rows = [[k] + [_cell(by[k, v, link]) for v, link in cols] for k in MACHINES]
    return C.table(["K"] + [f"V={_si(v)} {link}G" for v, link in cols], rows)


def single_table(inputs):
    rows = []
    for c in CORES:
        for d in DIMS:
            for link in LINKS_GBE:
                s = predict_single(inputs, c, link, d)
                rows.append((c, d, f"{link} GbE", f"{machine_words_per_s(inputs, d, c):,.0f}",
                             f"{s['feed_need'] / 1e6:,.0f}", f"{s['feed_capacity'] / 1e6:,.0f}",
                             "yes" if s["feed_keeps_up"] else "no",
                             f"{s['words_per_s']:,.0f}", f"{s['readers']:.1f}"))
    return C.table(["C", "d", "link", "one machine words/s", "feed needs MB/s",
                    "feed gets MB/s", "keeps up", "single words/s",
                    "reading processes to read as fast (1 epoch)"],
                   rows)


def detail_table(preds, cores, dim, link):
    rows = []
    for p in preds:
        if (p["cores"], p["dim"], p["link_gbe"], p["min_round"]) != (cores, dim, link,
                                                                      MIN_ROUND_SECONDS):
            continue
        par, s = p["parallel"], p["single"]
        rows.append((_si(p["n_words"]), p["machines"], f"{par['words_per_s']:,.0f}",
                     f"{par['speedup']:.1f}x", f"{par['sync_share']:.0%}",
                     f"{par['expected_rows']:,.0f}",
                     " / ".join(f"{par[k] * 1e3:.1f}" for k in ("train_s", "transfer_s",
                                                                 "sched_s", "cpu_s",
                                                                 "round_s")),
                     (f"{s['words_per_s']:,.0f} "
                     f"({'feed ok' if s['feed_keeps_up'] else 'feed short'})"),
                     f"{p['winner']} {p['winner_speedup']:.1f}x"))
    return C.table(["V", "K", "parallel words/s", "vs one machine", "sync share", "E[H] rows",
                    "E[ms]: train / transfer / sched / cpu / round", "single words/s",
                    "winner (vs one machine)"], rows)


CORPUS_WORDS = 10_000_000_000   # a corpus whose vocabulary at min_count 5 is ~1M words


def auto_round_seconds(inputs, machines, cores, dim, corpus_words=CORPUS_WORDS):
    """Seconds of training of the estimator's "auto" rounds on a corpus of ``corpus_words``:
    at least ``1 / MAX_ROUNDS`` of an epoch (``skw2v._engines.rounds``), shared by K machines."""
    from skw2v._engines.rounds import MAX_ROUNDS

    return corpus_words / (MAX_ROUNDS * machines * machine_words_per_s(inputs, dim, cores))


def judged_line(inputs, preds_by_case):
    j = JUDGED
    t_auto = auto_round_seconds(inputs, j["machines"], j["cores"], j["dim"])
    auto = predict(inputs, j["machines"], j["cores"], j["link_gbe"], j["n_words"], j["dim"],
                   min_round=t_auto)["parallel"]
    line = (f"**{j['machines']} machines x {j['cores']} cores, {j['link_gbe']} GbE, "
            f"V={_si(j['n_words'])}, d={j['dim']}, the estimator's \"auto\" rounds on a "
            f"{CORPUS_WORDS / 1e9:.0f}B-word corpus (1/256 of an epoch: {t_auto:.2f} s of "
            f"training a round): parallel {auto['words_per_s']:,.0f} words/s = "
            f"{auto['speedup']:.1f} x one machine** (sync share {auto['sync_share']:.0%})")
    return line + "\n\nWith rounds of 0.1 s (pWord2Vec's period): " + _judged_fixed(
        preds_by_case)


def _judged_fixed(preds_by_case):
    j = JUDGED
    p = preds_by_case[j["machines"], j["cores"], j["link_gbe"], j["n_words"], j["dim"],
                      MIN_ROUND_SECONDS]
    par = p["parallel"]
    return (f"**{j['machines']} machines x {j['cores']} cores, {j['link_gbe']} GbE, "
            f"V={_si(j['n_words'])}, d={j['dim']}: parallel {par['words_per_s']:,.0f} words/s = "
            f"{par['speedup']:.1f} x one machine** ({p['one_machine']:,.0f} words/s; sync share "
            f"{par['sync_share']:.0%}; single {p['single']['words_per_s']:,.0f} words/s; "
            f"winner: {p['winner']})")


def notes(inputs):
    """What the model assumes, bounds from above, and leaves out (markdown lines)."""
    j = JUDGED
    final = sync_bytes(j["machines"], j["n_words"], j["dim"], inputs.get("wire_bytes", 4))
    final_s = final / (inputs["eta"] * link_bytes_per_s(j["link_gbe"]))
    return [
        ("- Assumed, not measured: the per-thread efficiency e(d) at 16 threads is the one "
        "measured at 2 (C=16 rows; speedups over one machine barely depend on it, since both "
        "sides use R); the cluster's dask costs (eta, hops, CPU a task) are this machine's, "
        "measured on loopback; each worker gets its link's full line rate both ways (a "
        "non-blocking switch)."),
        ("- Charged in full though they run beside training (an upper bound): the merges and "
        "the workers' task overhead. Sync CPU is measured on the top rows, which change most; "
        "deeper tier rows change less."),
        ("- Left out: quality as K grows (replica drift), stragglers, reading and encoding, and "
        "the fit's last sync of every row, once per fit (at "
        f"{j['machines']} x V={_si(j['n_words'])}, d={j['dim']}: {final / 1e9:.2f} GB a "
        f"worker, ~{final_s:.1f} s at {j['link_gbe']} GbE)."),
    ]


def report(inputs, preds, seconds):
    by_case = {(p["machines"], p["cores"], p["link_gbe"], p["n_words"], p["dim"],
                p["min_round"]): p for p in preds}
    lines = C.header("Cost model of a cluster fit (skw2v.dask), inputs measured here")
    load = inputs.get("load_average")
    lines += [(f"Inputs measured in {seconds:.0f} s (english corpus, "
               f"{inputs['corpus_tokens']:,} tokens; dask on a 2-worker LocalCluster)"
               + (f"; 1-minute load average {load[0]:.2f} before, {load[1]:.2f} after." if load
                  else ".")), ""]
    lines += inputs_table(inputs)
    lines += ["", ("Model: one machine R = r1(d) x C x e(d). Parallel, per sync of H rows "
                   "(w bytes a value): T_train = max(min_round, auto_round_words(K)/R); T_x = "
                   "4 w (K-1)/K H d / (eta x line) + 2 (K-1) (hop_across - hop_same) / slots; "
                   "T_sched = (K^2+2K) x scheduler CPU a task; cpu = H d (give + apply) + H/K d "
                   "(m0 + m1 K) + (K+2) x worker CPU a task; P = max(T_train, T_sched) + T_x + "
                   "2 hop_across + cpu (each round waits for its sync); "
                   "words/s = K R T_train / E[P] over the tiers of sync_rows; "
                   "sync share = 1 - T_train/E[P]. Single: min(R, eta x line / 4)."), ""]
    lines += notes(inputs) + [""]
    for min_round in (MIN_ROUND_SECONDS, MIN_ROUND_ALT, MIN_ROUND_LONG):
        for c in (CORES if min_round == MIN_ROUND_SECONDS else CORES[:1]):
            for d in DIMS:
                lines += [(f"#### Parallel, {c} cores a machine, d={d}, rounds >= {min_round} s: "
                          "speedup over one machine and sync share (S: single wins)"), ""]
                lines += grid_table(preds, c, d, min_round) + [""]
    lines += ["#### Single: one machine trains, the others feed it 4 bytes a token", ""]
    lines += single_table(inputs) + [""]
    j = JUDGED
    lines += [(f"#### {j['cores']} cores a machine, {j['link_gbe']} GbE, d={j['dim']}, rounds >= "
              f"{MIN_ROUND_SECONDS} s: every component"), ""]
    lines += detail_table(preds, j["cores"], j["dim"], j["link_gbe"]) + [""]
    lines += [judged_line(inputs, by_case), ""]
    return lines


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=2, help="fits per (d, threads); fastest kept")
    p.add_argument("--inputs", help="read measured inputs from this JSON (skip measuring)")
    p.add_argument("--json", help="write inputs and predictions to this file")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    if args.inputs:
        with open(args.inputs) as f:
            inputs = json.load(f)["inputs"]
    else:
        load = os.getloadavg()[0]
        inputs = measure_inputs(args.repeats)
        inputs["load_average"] = [load, os.getloadavg()[0]]
    seconds = time.perf_counter() - t0
    preds = predictions(inputs) + [p for t in (MIN_ROUND_ALT, MIN_ROUND_LONG)
                                   for p in predictions(inputs, t, CORES[:1])]
    print("\n".join(report(inputs, preds, seconds)))
    if args.json:
        meta = {"commit": C.git_commit(), "machine": C.cpu_model(), "cores": C.n_cores(),
                    "versions": C.versions(), "command": " ".join(sys.argv)}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "inputs": inputs, "predictions": preds}, f, indent=1)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main()

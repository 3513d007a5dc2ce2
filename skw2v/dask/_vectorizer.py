"""skw2v.dask.CBOWVectorizer: the estimator, trained on a dask.distributed cluster.

dask collection -> pass 1 on the workers: each partition read into provisional
ids and its lexicon (_tasks.read_partition), lexicons merged in corpus order
-> vocabulary -> partitions dealt into one share per worker by their sizes
(plan_shares) -> pass 2 on the workers: each partition encoded on its share's
worker (_tasks.encode_partition) and kept there -> rounds of per-worker hogwild
shares on replicas synced by tiers (_engine.DaskReplicaEngine), or on one worker
(_engine.DaskSingleEngine), driven by the local
run_epochs) -> the local estimator's fitted state.
"""

import uuid
from numbers import Integral

import numpy as np
from dask import delayed, is_dask_collection
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _vectorizer as local
from .._aggregate import SIF_MAX_TOKENS, SIF_PIECES
from .._analyzer import DEFAULT_TOKEN_PATTERN
from .._corpus import RawCorpus, concatenate
from .._engines.rounds import MERGE_RULES, plan_shares
from .._schedule import Schedule
from .._training import run_epochs
from . import _tasks
from ._cost import STRATEGIES, choose_strategy
from ._engine import ClusterCorpus, DaskReplicaEngine, DaskSingleEngine

MERGE_FANIN = 8        # lexicons merged per task in pass 1's reduction tree


class CBOWVectorizer(local.CBOWVectorizer):
    """Word2vec CBOW trained on a Dask cluster; fitted, it is the local estimator.

    ``fit`` on a ``dask.bag`` of documents (str or token lists) or a dask
    dataframe text column trains on the workers of the current
    ``distributed.Client``: both passes over the text (vocabulary, encoding)
    run where the partitions are. With ``strategy="parallel"`` every worker
    keeps a replica of the weights and trains its share of the documents on
    it in rounds, with its threads, at the global schedule's learning rates;
    between rounds the replicas sync the rows of the most frequent words
    (the top 1,024 every time, twice as many every second time, ..., all of
    them rarely), each block of rows merged on the worker that owns it (see
    ``merge``). With ``strategy="single"`` one worker trains on everything
    the others read and encoded. The partitions are dealt into the workers'
    shares by their sizes alone,
    so with ``random_state`` set and one training thread per trainer a fit is
    reproducible whichever worker read which partition. The fitted
    attributes are exactly a local fit's: ``save``/:func:`skw2v.load` (which gives a plain
    :class:`skw2v.CBOWVectorizer`), pickle, ``most_similar`` and
    ``partial_fit`` on local data work as they do there.

    ``transform`` of a dask bag or series is a lazy dask array, one row per
    document in order; local input behaves exactly as with the local estimator,
    and so does ``fit``.

    Parameters
    ----------
    vector_size, window, negative, ns_exponent, sample, min_count, max_vocab_size, epochs, \
alpha, min_alpha, agg, lowercase, token_pattern, tokenizer, preprocessor, stop_words, \
strip_accents, max_doc_len, verbose, callbacks, random_state, init_vectors, \
lock_init_vectors
        As in :class:`skw2v.CBOWVectorizer`. ``callbacks`` run on the client
        after every epoch; ``init_vectors`` are loaded on the client and the
        starting weights sent to the workers.
    solver, optimizer, batch_size, device
        As in :class:`skw2v.CBOWVectorizer` for local input; training on a
        cluster uses the hogwild engines (``solver`` "auto" or "hogwild").
        With a GPU ``device`` ("gpu", "cuda:N") one worker that has a GPU
        trains on it, fed by the others (``strategy`` "auto" or "single").
    n_jobs : int or None, default=-1
        Training threads; on a cluster, per worker (-1: the worker's threads; a
        lone trainer's, ``strategy="single"``: every thread of its machine). One
        training thread makes a seeded fit reproducible (bit for bit).
    words_per_round : int or "auto", default="auto"
        ``"parallel"``: words each worker trains between two syncs (the largest share's;
        the others are cut into as many rounds). ``"auto"``: short rounds
        while the learning rate is high and longer ones as it decays (words
        times rate constant: 64,000 words a worker at the starting rate on 2
        workers, 10,000 on 4, ``64000 / (K - 1) ** (5 / 3)`` on K; at most a
        quarter of an epoch). Between syncs the workers drift apart, more
        with more workers and longer rounds, and most while the vectors take
        their shape; every round costs a few scheduler hops, so shorter
        rounds cost time.
    merge : {"adaptive", "capped", "sum", "mean"}, default="adaptive"
        How the rows the workers changed in a round are combined. A row
        changed by ``n`` workers gets each change scaled by: ``"sum"`` 1
        (over-steps frequent words; diverges from 4 workers on),
        ``"mean"`` ``1 / n`` (Spark's rule; loses most of the progress),
        ``"capped"`` ``min(1, 2 / n)``; ``"adaptive"``: 1 up to ``n = 2``, then
        between 1 and ``1 / n`` by how far one worker's round is expected to
        move the row (its word's frequency, the learning rate, the round's
        size). Measured in
        the user guide's "Training on a cluster".
    strategy : {"auto", "parallel", "single"}, default="auto"
        ``"parallel"``: every worker trains (replicas synced by tiers of
        frequent rows; only those rows travel). ``"single"``: a worker of
        the machine with the most threads trains the whole corpus with every
        thread of that machine, the others only read, tokenize, count and
        encode (4 bytes a token travel to it), exactly one machine's
        training. ``"auto"``: ``"parallel"`` unless one machine alone has
        more threads than all the workers together less the syncs' share of
        the time (the cost model of the user guide's "Training on a
        cluster"); so ``"single"`` whenever the workers share one machine.

    See Also
    --------
    skw2v.CBOWVectorizer : The same estimator on one machine.
    """

    _parameter_constraints = {
        **local.CBOWVectorizer._parameter_constraints,
        "words_per_round": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "merge": [StrOptions(set(MERGE_RULES))],
        "strategy": [StrOptions(set(STRATEGIES))],
    }

    def __init__(self, vector_size=100, *, window=5, negative=5, ns_exponent=0.75, sample=1e-3,
                 min_count=5, max_vocab_size=None, epochs=5, alpha=0.025, min_alpha=1e-4,
                 solver="auto", optimizer="sgd", batch_size="auto", device="cpu", n_jobs=-1,
                 random_state=None, agg="mean", lowercase=True,
                 token_pattern=DEFAULT_TOKEN_PATTERN, tokenizer=None, preprocessor=None,
                 stop_words=None, strip_accents=None, max_doc_len=10000, verbose=0,
                 callbacks=None, init_vectors=None, lock_init_vectors=False,
                 words_per_round="auto", merge="adaptive", strategy="auto"):
        super().__init__(
            vector_size, window=window, negative=negative, ns_exponent=ns_exponent,
            sample=sample, min_count=min_count, max_vocab_size=max_vocab_size, epochs=epochs,
            alpha=alpha, min_alpha=min_alpha, solver=solver, optimizer=optimizer,
            batch_size=batch_size, device=device, n_jobs=n_jobs, random_state=random_state,
            agg=agg, lowercase=lowercase, token_pattern=token_pattern, tokenizer=tokenizer,
            preprocessor=preprocessor, stop_words=stop_words, strip_accents=strip_accents,
            max_doc_len=max_doc_len, verbose=verbose, callbacks=callbacks,
            init_vectors=init_vectors, lock_init_vectors=lock_init_vectors)
        self.words_per_round = words_per_round
        self.merge = merge
        self.strategy = strategy

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and word vectors, on the cluster for a dask collection.

        Parameters
        ----------
        X : dask.bag.Bag, dask Series, or any input of :meth:`skw2v.CBOWVectorizer.fit`
            A bag of documents (str, e.g. ``db.read_text(...)``, or token lists)
            or a dask dataframe text column trains on the current
            ``distributed.Client``'s workers; local input trains here.
        y : None
            Ignored.

        Returns
        -------
        self : CBOWVectorizer
            Fitted; the previous fit is kept if fitting fails.
        """
        if not is_dask_collection(X):
            return super().fit(X)
        parts = partitions(X)
        self._check_setup()
        self._check_cluster_setup()
        init = self._init_vectors()
        client = current_client()
        with _released(client) as held:
            self._fit_on_cluster(client, parts, held, init)
        return self

    def partial_fit(self, X, y=None):
        """Continue training on local documents (see :meth:`skw2v.CBOWVectorizer.partial_fit`)."""
        if is_dask_collection(X):
            raise TypeError(
                "partial_fit takes local documents (a list, a generator, a LineCorpus...); "
                "fit(X) trains on the cluster from a dask collection.")
        return super().partial_fit(X)

    def _check_cluster_setup(self):
        if self.solver == "minibatch":
            raise InvalidParameterError(
                f"Training on a cluster uses the hogwild engines; got solver={self.solver!r}. "
                "Use solver='auto' (or 'hogwild'), or fit skw2v.CBOWVectorizer on one machine.")
        if self.device != "cpu" and self.strategy == "parallel":
            raise InvalidParameterError(
                f"strategy='parallel' trains on every worker's CPU threads; got "
                f"device={self.device!r}. Use strategy='single' (or 'auto') to train on one "
                "worker's GPU, fed by the others, or device='cpu'.")

    def _fit_on_cluster(self, client, parts, held, init):
        """The cluster fit; ``held`` collects futures to release when it ends; ``init``:
        the ``init_vectors`` loaded, or None."""
        vocab, vocab_f, corpus, total_words = self._read_on_cluster(client, parts, held)
        rng = check_random_state(self.random_state)
        locked = None
        if init is None:  # the starting weights are drawn on the cluster
            syn0 = np.empty((len(vocab), self.vector_size), np.float32)
        else:  # drawn here, with the pretrained rows, and sent
            syn0 = local.init_input_vectors(rng, len(vocab), self.vector_size)
            locked = self._start_from(init, vocab, syn0)
        syn1neg = np.zeros_like(syn0)
        # the SIF component is estimated on documents spread over the corpus, as in a local
        # fit; they are taken now, to arrive while training runs
        sample = held(_sample_futures(client, corpus, SIF_MAX_TOKENS))
        history = self._train_on_cluster(client, corpus, vocab_f, syn0, syn1neg, rng, held,
                                         start="draw" if init is None else "host",
                                         locked=locked)
        self._install(concatenate(client.gather(sample)), vocab, syn0, syn1neg, rng,
                      history, total_words=total_words)

    def _read_on_cluster(self, client, parts, held):
        """Both passes, on the workers: the vocabulary (here and as a future), the corpus."""
        raws = held(client.compute([delayed(_tasks.read_partition)(p, self.build_analyzer())
                                    for p in parts]))
        lexicon = held(_merge_tree(client, held(client.map(_tasks.lexicon, raws))))
        part_words = np.array(client.gather(client.map(_n_tokens, raws)), np.int64)
        total_words = int(part_words.sum())
        if not total_words:
            raise ValueError("The corpus is empty: no document contains any token. "
                             "Check the input and the tokenization settings.")
        vocab = self._new_vocabulary(RawCorpus(None, None, *lexicon.result()))
        check_worker_memory(client, len(vocab), self.vector_size)
        vocab_f = held(client.submit(_tasks.build_vocabulary, lexicon, self.min_count,
                                     self.max_vocab_size))
        cluster = client.scheduler_info()["workers"]
        share = plan_shares(part_words, len(cluster))
        who_has = client.who_has(raws)
        workers = share_workers(share, part_words, [who_has[f.key] for f in raws], cluster)
        encoded = held([client.submit(_tasks.encode_partition, raw, vocab_f, self.max_doc_len,
                                      workers=[workers[k]], allow_other_workers=True)
                        for raw, k in zip(raws, share)])
        corpus = _cluster_corpus(client, encoded, share, workers)
        for future in raws:  # encoded: the raw ids are recomputable, no longer kept
            future.release()
        return vocab, vocab_f, corpus, total_words

    def _train_on_cluster(self, client, corpus, vocab_f, syn0, syn1neg, rng, held, start,
                          locked):
        """Rounds on the workers until the host ``syn0``/``syn1neg`` hold the result.

        ``start``: the engines'; ``locked``: the rows of ``syn0`` to leave as they are.
        """
        tables = held(client.submit(_tasks.training_tables, vocab_f, self.sample,
                                    self.ns_exponent, locked))
        updates = held(client.submit(_tasks.merge_updates, vocab_f, self.sample, self.window,
                                     self.negative, self.ns_exponent))
        options = dict(window=self.window, negative=self.negative, random_state=rng,
                       client=client, n_jobs=self.n_jobs, start=start)
        threads = worker_threads(client, corpus.workers, self.n_jobs)
        # a lone trainer may take every thread of its machine: the workers beside it only
        # read and encode, and are idle while it trains
        alone = machine_threads(client, sorted(client.scheduler_info()["workers"]), self.n_jobs)
        trainer = self._lone_trainer(client, threads, alone, corpus, syn0.shape)
        if trainer is None:
            engine = DaskReplicaEngine(corpus, tables, syn0, syn1neg,
                                       words_per_round=self.words_per_round, merge=self.merge,
                                       updates=updates, **options)
        else:
            engine = DaskSingleEngine(corpus, tables, syn0, syn1neg, trainer=trainer,
                                      n_threads=alone[trainer], device=self.device, **options)
        schedule = Schedule(self.alpha, self.min_alpha, corpus.n_words, self.epochs)
        try:
            return run_epochs(engine, schedule, verbose=self.verbose, callbacks=self.callbacks,
                              owner=self, desc="training on the cluster")
        finally:
            held(engine.futures())

    def _lone_trainer(self, client, threads, alone, corpus, shape):
        """The worker that trains alone ("single", or a GPU ``device``), or None
        ("parallel"). With "auto", a trainer that cannot hold the weights and the whole
        encoded corpus gives way to "parallel" (each worker holds its share); forced, it is
        a MemoryError."""
        if self.device != "cpu":
            trainer = gpu_worker(client, self.device, alone)
        elif self._strategy(threads, {w: alone[w] for w in corpus.workers}) == "parallel":
            return None
        else:
            trainer = max(corpus.workers, key=alone.__getitem__)  # ties: the first share's
        try:
            _check_lone_trainer(client, trainer, corpus, shape)
        except MemoryError:
            if self.strategy != "auto" or self.device != "cpu":
                raise
            return None
        return trainer

    def _strategy(self, threads, alone):
        """"parallel" or "single" for workers with ``threads`` and ``alone``
        ({address: training threads} as a replica / as the lone trainer)."""
        if self.strategy != "auto":
            return self.strategy
        return choose_strategy(list(threads.values()), list(alone.values()))

    # --------------------------------------------------------------- transform
    def transform(self, X):
        """Turn documents into dense vectors; lazily, on the cluster, for a dask collection.

        Parameters
        ----------
        X : dask.bag.Bag, dask Series, or any input of :meth:`skw2v.CBOWVectorizer.transform`

        Returns
        -------
        X_new : dask.array.Array or ndarray of shape (n_docs, n_features), float32
            For a dask collection a lazy dask array with one chunk of rows per
            partition (row counts unknown until computed), in document order.
        """
        if not is_dask_collection(X):
            return super().transform(X)
        import dask.array as da

        check_is_fitted(self, "wv_")
        parts = partitions(X)
        width = self._n_features_out
        if not parts:
            return da.zeros((0, width), np.float32)
        # one key for the model: each worker receives it once, whatever the partitions
        model = delayed(self, name=f"skw2v-model-{uuid.uuid4().hex}")
        return da.concatenate(
            [da.from_delayed(delayed(_transform_partition)(model, p), (np.nan, width),
                             np.float32) for p in parts])


def gpu_worker(client, device, threads):
    """The worker that trains on ``device`` (a GPU): of those that have one, the one with
    the most threads; RuntimeError if none has."""
    able = [a for a, ok in sorted(client.run(_tasks.has_device, device).items()) if ok]
    if not able:
        raise RuntimeError(
            f"device={device!r}: no worker of the cluster has a usable GPU (CuPy and numba-cuda "
            "installed, a CUDA device visible). Start a worker on a GPU machine, or use "
            "device='cpu'.")
    return max(able, key=lambda a: threads.get(a, 0))


def worker_threads(client, workers, n_jobs):
    """Training threads of each of ``workers`` (addresses) with ``n_jobs``, as a replica:
    the worker's own threads."""
    have = {a: info["nthreads"] for a, info in client.scheduler_info()["workers"].items()}
    return {a: _tasks.threads_for(n_jobs, have.get(a, 1)) for a in workers}


def machine_threads(client, workers, n_jobs):
    """Training threads of each of ``workers`` with ``n_jobs`` as the lone trainer: the
    threads of every worker on its machine (its host), all idle while it trains."""
    info = client.scheduler_info()["workers"]
    host = {a: w.get("host") or a for a, w in info.items()}
    on_host = {}
    for a, w in info.items():
        on_host[host[a]] = on_host.get(host[a], 0) + w["nthreads"]
    return {a: _tasks.threads_for(n_jobs, on_host.get(host.get(a), 1)) for a in workers}


def lone_trainer_memory(n_words, dim, corpus):
    """Bytes the lone trainer holds: the weights once, and the encoded corpus twice (its
    partitions, and the copy they are joined into), 4 bytes a word and 8 a document."""
    return local.model_memory(n_words, dim) + 2 * (4 * corpus.n_words + 8 * corpus.n_docs)


def _check_lone_trainer(client, trainer, corpus, shape):
    """MemoryError, before training, if ``trainer`` cannot hold what a lone trainer holds."""
    need = lone_trainer_memory(*shape, corpus)
    short = _short_of_memory(client, need, [trainer])
    if short:
        _, what, have = short
        raise MemoryError(
            f"One worker training alone ({trainer}) needs {need / 2**30:.2f} GiB: the weights "
            f"({shape[0]} words x vector_size={shape[1]}) and the whole encoded corpus "
            f"({corpus.n_words:,} words), more than it has ({what}: {have / 2**30:.2f} GiB). "
            "Use strategy='parallel' (each worker holds its own share), or give that worker "
            "more memory (memory_limit=...).")


def _n_tokens(raw):
    return len(raw.ids)


def _transform_partition(model, documents):
    return local.CBOWVectorizer.transform(model, documents)


def current_client():
    """The current ``distributed.Client``; RuntimeError saying how to start one otherwise."""
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        raise RuntimeError(
            "skw2v.dask.CBOWVectorizer trains on a dask.distributed cluster and no Client is "
            "running. Start one first: `from dask.distributed import Client; client = Client()` "
            "(a LocalCluster on this machine) or `Client('tcp://scheduler:8786')` for an "
            "existing cluster.") from None


def partitions(X):
    """The partitions of a bag or a dask Series, as delayed objects in order."""
    kind = type(X).__module__.split(".")[:2]
    if kind == ["dask", "dataframe"] and getattr(X, "ndim", None) == 2:
        raise ValueError(
            f"Got a dask DataFrame with columns {list(X.columns)}; select the text column "
            "(e.g. df['text']).")
    if kind == ["dask", "bag"] or kind == ["dask", "dataframe"]:
        return list(X.to_delayed())
    raise TypeError(
        f"Expected a dask Bag of documents (str or token lists) or a dask Series of text; got "
        f"{type(X).__module__}.{type(X).__name__}. For a dask array of text, use "
        "dask.bag.from_delayed(X.to_delayed().ravel()) or X.to_dask_dataframe().")


class _released:
    """Context manager collecting futures (``held(f)``) and releasing them at the end."""

    def __init__(self, client):
        self.client = client
        self.futures = []

    def __enter__(self):
        return self

    def __call__(self, futures):
        self.futures.append(futures)
        return futures

    def __exit__(self, *exc):
        for item in self.futures:
            for future in item if isinstance(item, list) else [item]:
                future.release()
        self.futures.clear()


def _merge_tree(client, lexicons):
    """One lexicon, merged from ``lexicons`` in order by a tree of tasks."""
    while len(lexicons) > 1:
        lexicons = [client.submit(_tasks.merge_lexicons, *lexicons[i:i + MERGE_FANIN])
                    for i in range(0, len(lexicons), MERGE_FANIN)]
    return lexicons[0]


def share_workers(share, part_words, holders, workers):
    """The worker of every share: the one that read most of its words, each worker once.

    ``holders``: per part, the addresses holding it; ``workers``: the cluster's.

    Only where the data moves depends on this, not what is trained: the
    shares are fixed by :func:`~skw2v._engines.rounds.plan_shares`.
    """
    free = sorted(workers)
    chosen = []
    for k in range(int(share.max()) + 1):
        held = dict.fromkeys(free, 0)
        for i in np.flatnonzero(share == k):
            for address in holders[i]:
                if address in held:
                    held[address] += int(part_words[i])
        best = max(free, key=held.__getitem__)  # ties: the first address
        chosen.append(best)
        free.remove(best)
    return chosen


def _cluster_corpus(client, encoded, share, workers):
    """The encoded partitions that have documents, with their sizes and shares."""
    sizes = np.array(client.gather(client.map(_tasks.corpus_size, encoded)),
                     np.int64).reshape(-1, 2)
    keep = [i for i, (docs, _) in enumerate(sizes) if docs]
    if not keep:
        raise ValueError("No document has a word of the vocabulary: nothing to train on.")
    return ClusterCorpus([encoded[i] for i in keep], sizes[keep, 0], sizes[keep, 1],
                         share[keep], workers)


def _sample(client, corpus, max_words):
    """About ``max_words`` words of documents from places spread over the corpus, gathered
    here: each partition gives its share of the words from its share of the places."""
    return concatenate(client.gather(_sample_futures(client, corpus, max_words)))


def _sample_futures(client, corpus, max_words):
    """:func:`_sample`, as the futures of its pieces."""
    pieces = max(SIF_PIECES // len(corpus.parts), 1)
    return [client.submit(_tasks.corpus_sample, part, max(max_words * words // corpus.n_words, 1),
                          pieces)
            for part, words in zip(corpus.parts, corpus.words) if words]


def check_worker_memory(client, n_words, dim):
    """MemoryError, before training, if a worker cannot hold the weights twice.

    A worker holds its replica: the weights it trains and every row's value
    at its last sync (plus a sync's tier of rows, a small fraction). The lone
    trainer's weights and corpus are checked where it is chosen
    (:func:`_check_lone_trainer`).
    """
    need = 2 * local.model_memory(n_words, dim)
    short = _short_of_memory(client, need)
    if short:
        addr, what, have = short
        raise MemoryError(
            f"Training {n_words} words x vector_size={dim} needs {need / 2**30:.2f} GiB "
            f"on every worker (its replica: the weights twice), more than worker {addr} "
            f"has ({what}: {have / 2**30:.2f} GiB). Give the workers more memory "
            "(memory_limit=...), or raise min_count, set max_vocab_size or lower "
            "vector_size.")


def _short_of_memory(client, need, workers=None):
    """``(address, what, bytes)`` of the first of ``workers`` (None: all) that has fewer than
    ``need`` bytes (its memory_limit, its machine's memory, or what is available there
    now); None when every one has room."""
    info = client.scheduler_info()["workers"]
    workers = sorted(info) if workers is None else workers
    machine = client.run(local._memory_limits, workers=workers)
    for addr in workers:
        physical, available = machine.get(addr, (None, None))
        limit = info.get(addr, {}).get("memory_limit") or None
        for have, what in ((limit, "its memory_limit"), (physical, "its machine's memory"),
                           (available, "the memory available there now")):
            if have is not None and need > have:
                return addr, what, have
    return None


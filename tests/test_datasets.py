import hashlib
import http.server
import os
import re
import socket
import threading
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from skw2v.datasets import (
    clear_data_home,
    fetch_ptb,
    get_data_home,
    make_analogy_corpus,
    make_topic_corpus,
    make_zipf_corpus,
)
from skw2v.datasets import _ptb

PTB_FIXTURE = (
    " aer banknote berlitz calloway centrust cluett fromstein gitano \n"
    " pierre <unk> N years old will join the board as a nonexecutive director \n"
    " mr. <unk> is chairman of <unk> n.v. the dutch publishing group \n"
)


# --- synthetic corpora -------------------------------------------------------


@pytest.mark.parametrize(
    "make, kwargs",
    [
        (make_analogy_corpus, {"n_sentences": 200, "n_pairs": 5}),
        (make_topic_corpus, {"n_docs": 50, "n_topics": 3}),
        (make_zipf_corpus, {"n_tokens": 5000, "n_words": 500}),
    ],
)
def test_generators_are_deterministic(make, kwargs):
    first = make(random_state=3, **kwargs)
    second = make(random_state=3, **kwargs)
    other = make(random_state=4, **kwargs)
    assert repr(first) == repr(second)
    assert repr(first) != repr(other)


def test_analogy_corpus_shapes():
    docs, analogies = make_analogy_corpus(500, n_pairs=6, random_state=0)
    assert len(docs) == 500
    assert all(isinstance(d, str) and d == d.strip() for d in docs)
    # 5 relations, every ordered pair of distinct pairs.
    assert len(analogies) == 5 * 6 * 5
    assert all(len(q) == 4 and len(set(q)) == 4 for q in analogies)
    vocab = {w for d in docs for w in d.split()}
    seen = {w for q in analogies for w in q}
    assert len(seen - vocab) < 0.1 * len(seen)


@pytest.fixture(scope="module")
def gensim_analogy_model():
    gensim = pytest.importorskip("gensim")
    docs, analogies = make_analogy_corpus(random_state=0)
    model = gensim.models.Word2Vec(
        [d.split() for d in docs], sg=0, cbow_mean=1, hs=0, negative=5,
        vector_size=50, window=5, min_count=5, epochs=5, workers=1, seed=0,
    )
    return model.wv, analogies


@pytest.mark.slow
def test_planted_analogies_are_learned_by_gensim_cbow(gensim_analogy_model):
    wv, analogies = gensim_analogy_model
    sample = analogies[::5]
    hits = [
        wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
        for a, b, c, d in sample
    ]
    assert np.mean(hits) > 0.8


def test_planted_words_have_role_neighbours(gensim_analogy_model):
    wv, analogies = gensim_analogy_model
    capitals = {q[1] for q in analogies[:380]}
    a, b, _, _ = analogies[0]
    neighbours = [w for w, _ in wv.most_similar(b, topn=10)]
    # Its own country plus other capitals.
    assert a in neighbours
    assert len(capitals.intersection(neighbours)) >= 5


def test_topic_corpus_labels_and_topic_words():
    docs, y = make_topic_corpus(300, 3, random_state=0)
    assert len(docs) == len(y) == 300
    assert y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [100, 100, 100])
    # Topic words are what separates the classes: the most frequent word of
    # one class should be rare in the others.
    counts = [Counter(w for d, k in zip(docs, y) if k == c for w in d.split())
              for c in range(3)]
    top0 = [w for w, _ in counts[0].most_common(20) if counts[1][w] == 0]
    assert top0


def test_zipf_corpus_shapes_and_frequencies():
    n_tokens, n_words = 200_000, 2000
    sentences = make_zipf_corpus(n_tokens, n_words, sentence_length=1000)
    assert len(sentences) == 200
    assert all(len(s) == 1000 for s in sentences)
    ids, offsets, words = make_zipf_corpus(n_tokens, n_words, as_ids=True)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64
    assert offsets[0] == 0 and offsets[-1] == n_tokens
    assert len(words) == len(set(words)) == n_words
    assert [words[i] for i in ids[:1000]] == sentences[0]
    counts = np.bincount(ids, minlength=n_words)
    # Zipf with exponent 1: rank r has 1/r of the top word's count.
    assert counts[0] / counts[1] == pytest.approx(2, rel=0.1)
    assert counts[0] / counts[9] == pytest.approx(10, rel=0.1)


def test_zipf_corpus_topic_structure():
    ids, _, _ = make_zipf_corpus(100_000, 5000, n_topics=8, as_ids=True)
    tail = ids[ids >= 100]
    # Within a topic segment, tail words agree mod n_topics far more often
    # than the 1/8 expected by chance.
    segments = tail[: len(tail) // 20 * 20].reshape(-1, 20) % 8
    agreement = (segments == np.median(segments, axis=1)[:, None]).mean()
    assert agreement > 0.3


def test_zipf_corpus_last_sentence_is_short():
    sentences = make_zipf_corpus(2500, 50, sentence_length=1000)
    assert [len(s) for s in sentences] == [1000, 1000, 500]


# --- data home ---------------------------------------------------------------


def test_data_home_env_and_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("SKW2V_DATA", str(tmp_path / "env_home"))
    home = get_data_home()
    assert home == str(tmp_path / "env_home") and os.path.isdir(home)
    explicit = get_data_home(tmp_path / "explicit")
    assert explicit == str(tmp_path / "explicit")
    clear_data_home()
    assert not os.path.exists(home)


def test_data_home_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SKW2V_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path / "skw2v_data")


# --- PTB download --------------------------------------------------------------


class Server(NamedTuple):
    url: str
    requests: list  # paths asked for, in order
    root: Path  # the folder served; tests add files to it


@pytest.fixture
def ptb_server(tmp_path):
    """A loopback HTTP server over a folder holding a tiny ptb.train.txt."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "ptb.train.txt").write_text(PTB_FIXTURE)
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for serve_forever's next poll: the default 0.5 s
    # interval added half a second to every test using this server.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{server.server_address[1]}/", requests, root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def test_fetch_ptb_downloads_and_caches(tmp_path, ptb_server):
    url, requests, _ = ptb_server
    checksums = {"ptb.train.txt": _sha256(PTB_FIXTURE)}
    home = tmp_path / "home"
    docs = fetch_ptb(data_home=home, base_url=url, checksums=checksums)
    assert docs[0].startswith("aer banknote") and docs[0] == docs[0].strip()
    assert docs[1].split()[:3] == ["pierre", "<unk>", "N"]
    assert len(docs) == 3
    assert requests == ["/ptb.train.txt"]
    assert sorted(os.listdir(home / "ptb")) == ["ptb.train.txt"]
    assert fetch_ptb(data_home=home, base_url=url, checksums=checksums) == docs
    assert len(requests) == 1


def test_fetch_ptb_base_url_from_env(tmp_path, ptb_server, monkeypatch):
    url, requests, _ = ptb_server
    monkeypatch.setenv("SKW2V_PTB_URL", url)
    monkeypatch.setenv("SKW2V_DATA", str(tmp_path / "env_home"))
    docs = fetch_ptb(checksums={"ptb.train.txt": None})
    assert len(docs) == 3 and len(requests) == 1
    assert (tmp_path / "env_home" / "ptb" / "ptb.train.txt").exists()


def test_fetch_ptb_checksum_mismatch_leaves_nothing(tmp_path, ptb_server):
    home = tmp_path / "home"
    with pytest.raises(OSError, match="SHA256 .* expected 0+; the download"):
        fetch_ptb(data_home=home, base_url=ptb_server.url,
                  checksums={"ptb.train.txt": "0" * 64})
    assert os.listdir(home / "ptb") == []


@pytest.mark.parametrize("subset", ["valid", "test"])
def test_fetch_ptb_verifies_valid_and_test_by_sha256(tmp_path, ptb_server, subset):
    name = f"ptb.{subset}.txt"
    (ptb_server.root / name).write_text(PTB_FIXTURE)
    expected = _ptb.PTB_FILES[subset].sha256
    with pytest.raises(OSError, match=rf"^SHA256 of .*/{name} is "
                                      rf"{_sha256(PTB_FIXTURE)}, expected {expected};"):
        fetch_ptb(subset, data_home=tmp_path, base_url=ptb_server.url)
    assert os.listdir(tmp_path / "ptb") == []


def test_fetch_ptb_verifies_train_by_md5(tmp_path, ptb_server):
    # No SHA-256 is known for the train file: the published MD5 guards it.
    with pytest.raises(OSError, match=rf"^MD5 of .*/ptb.train.txt is {_md5(PTB_FIXTURE)}, "
                                      rf"expected {_ptb.PTB_FILES['train'].md5};"):
        fetch_ptb(data_home=tmp_path, base_url=ptb_server.url)
    assert os.listdir(tmp_path / "ptb") == []


def test_fetch_ptb_sha256_overrides_a_matching_md5(tmp_path, ptb_server, monkeypatch):
    # A file crafted to an MD5 collision would pass an MD5 check; where a
    # SHA-256 is known, a matching MD5 must not let a wrong file through.
    (ptb_server.root / "ptb.valid.txt").write_text(PTB_FIXTURE)
    real = _ptb.PTB_FILES["valid"]
    monkeypatch.setitem(_ptb.PTB_FILES, "valid", real._replace(md5=_md5(PTB_FIXTURE)))
    with pytest.raises(OSError, match=rf"SHA256 .* expected {real.sha256};"):
        fetch_ptb("valid", data_home=tmp_path, base_url=ptb_server.url)
    assert os.listdir(tmp_path / "ptb") == []
    # The same MD5 is enough where no SHA-256 is known (as for ptb.train.txt).
    monkeypatch.setitem(_ptb.PTB_FILES, "valid",
                        real._replace(md5=_md5(PTB_FIXTURE), sha256=None))
    assert len(fetch_ptb("valid", data_home=tmp_path, base_url=ptb_server.url)) == 3


def test_fetch_ptb_http_error(tmp_path, ptb_server):
    with pytest.raises(ConnectionError, match="404"):
        fetch_ptb("valid", data_home=tmp_path, base_url=ptb_server.url)


def test_fetch_ptb_offline_error(tmp_path):
    # Bind then close a socket: nothing listens on that loopback port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionError) as info:
        fetch_ptb(data_home=tmp_path, base_url=f"http://127.0.0.1:{port}",
                  timeout=5)
    message = str(info.value)
    assert message.startswith(
        f"could not download PTB from http://127.0.0.1:{port}/ptb.train.txt"
    )
    assert str(tmp_path / "ptb") in message and "SKW2V_DATA" in message
    assert os.listdir(tmp_path / "ptb") == []


def test_fetch_ptb_no_download(tmp_path):
    with pytest.raises(OSError, match="download_if_missing"):
        fetch_ptb(data_home=tmp_path, download_if_missing=False)


def test_fetch_ptb_reads_placed_file(tmp_path):
    (tmp_path / "ptb").mkdir()
    (tmp_path / "ptb" / "ptb.test.txt").write_text(PTB_FIXTURE + "\n")
    docs = fetch_ptb("test", data_home=tmp_path, base_url="http://127.0.0.1:9")
    assert len(docs) == 3


def test_fetch_ptb_bad_subset(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        fetch_ptb("dev", data_home=tmp_path)


def test_ptb_table_digests_are_well_formed():
    # A truncated or mistyped digest would reject every genuine download.
    for subset, entry in _ptb.PTB_FILES.items():
        assert entry.name == f"ptb.{subset}.txt"
        assert re.fullmatch(r"[0-9a-f]{32}", entry.md5)
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)

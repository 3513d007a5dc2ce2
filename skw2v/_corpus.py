"""Stage 3: token lists -> encoded corpus (flat int32 ids + document offsets).

The corpus is read exactly once: every token gets a provisional id (its
first-seen rank) while documents stream in, so a generator or a file never
needs a second pass and no list of strings is kept (the lexicon holds the
distinct words as bytes: :mod:`skw2v._lexicon`). Counting is then a
``bincount`` and the final encoding a table lookup.
"""

import codecs
import os
from array import array
from typing import NamedTuple

import numpy as np

from ._analyzer import _short, check_corpus, check_tokens, iter_token_docs, to_tokens
from ._idstore import ArrayWriter, iter_blocks, searchsorted
from ._io import DECOMPRESSION_ERRORS, is_compressed, open_file
from ._lexicon import Lexicon
from ._word2vec_format import MAX_KEY_BYTES, WORD_ENDS, key_problem
from ._words import UnstorableWord


class EncodedCorpus(NamedTuple):
    """A corpus as flat word ids and document boundaries.

    ``ids[offsets[i]:offsets[i + 1]]`` are the vocabulary ids of document i.
    """

    ids: np.ndarray      # int32 ndarray, or DiskArray for a corpus spilled to disk
    offsets: np.ndarray  # int64, len n_docs + 1, starts at 0 (ndarray or DiskArray)

    @property
    def n_words(self):
        return int(self.offsets[-1])


def concatenate(pieces):
    """One in-memory EncodedCorpus of ``pieces`` (EncodedCorpus, in order; offsets of
    each may start anywhere: a slice of a larger corpus's)."""
    ids, offsets = [], [np.zeros(1, np.int64)]
    for piece in pieces:
        bounds = np.asarray(piece.offsets)
        ids.append(np.asarray(piece.ids[bounds[0]:bounds[-1]]))
        offsets.append(bounds[1:] - bounds[0] + offsets[-1][-1])
    return EncodedCorpus(np.concatenate(ids or [np.zeros(0, np.int32)]), np.concatenate(offsets))


class RawCorpus(NamedTuple):
    """The result of one reading pass: provisional ids and the lexicon."""

    ids: np.ndarray      # int32 provisional ids (first-seen rank); ndarray or DiskArray
    offsets: np.ndarray  # int64; ndarray or DiskArray
    words: object        # provisional id -> word: a WordList (or a list of str)
    counts: np.ndarray   # int64 count per provisional id


READ_BATCH_TOKENS = 1 << 13


def read_corpus(X, analyzer, workdir=None):
    """Tokenize and encode ``X`` in a single streaming pass.

    With a ``workdir``, ids and document offsets past ``SPILL_BYTES`` go to
    files there (see :mod:`skw2v._idstore`), so a corpus larger than RAM can
    be read. Tokens are looked up in batches of documents: per document
    there is only a list extend, which keeps corpora of short documents fast.
    """
    lexicon = Lexicon()
    ids = ArrayWriter(workdir, "raw_ids.bin")
    offsets = ArrayWriter(workdir, "raw_offsets.bin", np.int64)
    offsets.extend([0])
    batch, lengths, first = [], [], 0  # the batch's tokens, its documents' lengths, its first document
    for doc in check_corpus(X):
        # a token list is used as it is (its tokens are checked as the batch is looked up)
        tokens = doc if type(doc) is list else to_tokens(doc, first + len(lengths), analyzer,
                                                         check=False)
        batch += tokens
        lengths.append(len(tokens))
        if len(batch) >= READ_BATCH_TOKENS:
            _encode_batch(batch, lengths, first, lexicon, ids, offsets)
            batch, lengths, first = [], [], first + len(lengths)
    _encode_batch(batch, lengths, first, lexicon, ids, offsets)
    ids, offsets = ids.finish(), offsets.finish()
    words = lexicon.words()
    _refuse_unexportable(words, ids, offsets)
    counts = np.zeros(len(lexicon), np.int64)
    for _, block in iter_blocks(ids):
        counts += np.bincount(block, minlength=len(lexicon))
    return RawCorpus(ids, offsets, words, counts)


def _refuse_unexportable(words, ids, offsets):
    """ValueError naming the first token that a word2vec file could not hold as a word
    (:func:`key_problem`: empty, holding a space or newline, or too long): refused before
    training, not at export."""
    at = np.flatnonzero(np.isin(words.blob, [ord(end) for end in WORD_ENDS]))
    sizes = np.diff(words.bounds)
    bad = np.flatnonzero((sizes == 0) | (sizes > MAX_KEY_BYTES))
    if len(at):
        bad = np.union1d(bad, np.searchsorted(words.bounds, at, side="right") - 1)
    if not len(bad):
        return
    word_id = int(bad[0])  # ids are first-seen ranks: the first such token in the corpus
    position = next(lo + int(np.argmax(block == word_id)) for lo, block in iter_blocks(ids)
                    if (block == word_id).any())
    doc = int(searchsorted(offsets, [position], side="right")[0]) - 1
    word = words[word_id]
    raise ValueError(
        f"Token {position - int(offsets[doc])} of document {doc}, {_short(word, 80)}, cannot "
        f"be a word: {key_problem(word)}, which a word2vec file cannot hold as a word (it "
        "ends a word at a space and a row at a newline), so the model could not be exported. "
        "Drop empty tokens and join the parts of a token with '_' (a tokenizer returning such "
        "tokens needs the same fix).")


def _encode_batch(tokens, lengths, first, lexicon, ids, offsets):
    """Append the provisional ids of ``tokens`` to ``ids`` and the end offsets of their
    documents (``lengths``, numbered from ``first``) to ``offsets``."""
    try:
        ids.extend(lexicon.lookup(tokens))  # one numba loop over the batch
    except TypeError:  # a token that is not a str
        start = 0
        for position, length in enumerate(lengths, first):
            check_tokens(tokens[start:start + length], position)  # raises, naming token and document
            start += length
        raise
    except UnstorableWord as exc:
        raise _token_error(exc, lengths, first) from None
    offsets.extend(np.cumsum(lengths, dtype=np.int64) + (len(ids) - len(tokens)))


def _token_error(exc, lengths, first):
    """The ValueError naming the document and position of a batch's bad token ``exc.index``."""
    ends = np.cumsum(lengths)
    doc = int(np.searchsorted(ends, exc.index, side="right"))
    j = exc.index - (int(ends[doc - 1]) if doc else 0)
    return ValueError(f"Token {j} of document {first + doc}, {exc}")


def encode(raw, remap, max_doc_len=None, workdir=None):
    """Map provisional ids through ``remap`` (-1 drops the token), then split.

    Streams block by block, ids and offsets alike, so a corpus spilled to
    disk stays there. Empty documents are dropped and documents longer than
    ``max_doc_len`` are cut into pieces of that many tokens, as gensim does.
    """
    out = ArrayWriter(workdir, "ids.bin")
    bounds = ArrayWriter(workdir, "offsets.bin", np.int64)
    last = None  # the last boundary written
    for start, block, doc_starts in _blocks_with_offsets(raw.ids, raw.offsets):
        final = remap[block]
        keep = final >= 0
        csum = np.zeros(len(block) + 1, np.int64)
        np.cumsum(keep, out=csum[1:])
        # tokens kept before each document start: the documents' new offsets
        kept_before = len(out) + csum[doc_starts - start]
        out.extend(final[keep])
        last = _write_boundaries(bounds, kept_before, last, max_doc_len)
    return EncodedCorpus(out.finish(), bounds.finish())


def _blocks_with_offsets(ids, offsets):
    """Yield ``(start, block, doc_starts)``: each block of ``ids`` and the (sorted)
    ``offsets`` that fall in it; the last block also takes those at the very end."""
    pending = np.zeros(0, np.int64)
    more_offsets = (block for _, block in iter_blocks(offsets))
    blocks = iter_blocks(ids) if len(ids) else [(0, ids[:0])]
    for start, block in blocks:
        end = start + len(block)
        last = end >= len(ids)
        while last or not len(pending) or pending[-1] < end:
            more = next(more_offsets, None)
            if more is None:
                break
            pending = np.concatenate([pending, more])
        cut = len(pending) if last else int(np.searchsorted(pending, end))
        yield start, block, pending[:cut]
        pending = pending[cut:]


def _write_boundaries(bounds, offsets, last, max_doc_len):
    """Append ``offsets`` (following ``last``) to ``bounds``: empty documents dropped,
    long ones cut. Returns the new last boundary (``offsets`` always has one, the first
    block starting at 0)."""
    if last is not None:
        offsets = np.concatenate([[last], offsets])
    if max_doc_len:
        offsets = split_offsets(offsets, max_doc_len)
    offsets = drop_empty(offsets)
    bounds.extend(offsets if last is None else offsets[1:])
    return offsets[-1]


def drop_empty(offsets):
    """Remove repeated boundaries (empty documents) from sorted offsets."""
    boundary = np.empty(len(offsets), bool)
    boundary[:1] = True
    np.not_equal(offsets[1:], offsets[:-1], out=boundary[1:])
    return offsets[boundary]


def split_offsets(offsets, max_len):
    """Insert cut points so that no document is longer than ``max_len``."""
    lengths = np.diff(offsets)
    if lengths.max(initial=0) <= max_len:
        return offsets
    n_cuts = np.maximum((lengths - 1) // max_len, 0)
    starts = np.repeat(offsets[:-1], n_cuts)
    within = np.arange(n_cuts.sum()) - np.repeat(np.cumsum(n_cuts) - n_cuts, n_cuts)
    cuts = starts + (within + 1) * max_len
    return np.sort(np.concatenate([offsets, cuts]))


def encode_known(X, analyzer, key_to_index, return_n_tokens=False):
    """Encode documents with a fixed vocabulary for transform (OOV skipped).

    Returns ``(ids, indptr)`` with one row per input document, empty rows kept;
    with ``return_n_tokens``, also the number of tokens, known or not.
    """
    get = key_to_index.get
    ids = array("i")
    indptr = array("q", [0])
    n_tokens = 0
    for _, tokens in iter_token_docs(X, analyzer):
        ids.extend(i for i in map(get, tokens) if i is not None)
        indptr.append(len(ids))
        n_tokens += len(tokens)
    ids = np.frombuffer(ids, dtype=np.int32) if len(ids) else np.zeros(0, np.int32)
    indptr = np.frombuffer(indptr, dtype=np.int64)
    return (ids, indptr, n_tokens) if return_n_tokens else (ids, indptr)


class LineCorpus:
    """A text file with one document per line, streamed (gzip, bz2 or xz decompressed).

    Parameters
    ----------
    path : str or path-like
        The file. gzip, bz2 and xz files are decompressed on the fly, recognised by their
        content, not their name (``corpus.txt.xz``, ``CORPUS.GZ`` and a gzip file
        without an extension all work; so does a legacy ``.lzma`` file).
    encoding : str, default="utf-8"
        Text encoding of the file.
    errors : str, default="strict"
        How undecodable bytes are handled (as in :func:`open`).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "corpus.txt")
    >>> _ = open(path, "w").write("the cat sat\\nthe dog ran\\n")
    >>> list(LineCorpus(path))
    ['the cat sat', 'the dog ran']
    """

    def __init__(self, path, encoding="utf-8", errors="strict"):
        self.path = os.fspath(path)
        self.encoding = encoding
        self.errors = errors
        try:
            codecs.lookup(encoding)
        except LookupError as err:
            raise ValueError(f"Unknown encoding {encoding!r} for {self.path}.") from err
        try:
            codecs.lookup_error(errors)
        except LookupError as err:
            raise ValueError(f"Unknown errors handler {errors!r}; use 'strict', 'replace', "
                             "'ignore', 'backslashreplace' or 'surrogateescape'.") from err
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"Corpus file not found: {self.path}")

    def _line_bytes_safe(self):
        """True when the encoding writes ``\n`` and ``\r`` as those single bytes,
        so the file can be split into lines before decoding (UTF-8, Latin-1, ...)."""
        empty = "".encode(self.encoding)  # a BOM for utf-8-sig
        return "a\n\r".encode(self.encoding) == empty + b"a\n\r"

    def __iter__(self):
        if self._line_bytes_safe():
            yield from self._iter_binary()
        else:  # UTF-16/32: let the text layer split lines
            yield from self._iter_text()

    def _iter_binary(self):
        """Split bytes into lines, then decode each, so errors name their line and byte."""
        lineno, offset = 0, 0
        with open_file(self.path, "rb") as f:
            while True:
                try:
                    raw = f.readline()
                except DECOMPRESSION_ERRORS as err:
                    if not is_compressed(f):
                        raise
                    raise self._corrupt(lineno, err, offset) from err
                if not raw:
                    return
                try:
                    text = raw.decode(self.encoding, self.errors)
                except UnicodeDecodeError as err:
                    raise ValueError(
                        f"{self.path}: line {lineno + 1} (byte offset {offset + err.start}) is "
                        f"not valid {self.encoding}: {err.reason}. Pass the right encoding=, or "
                        "errors='surrogateescape' to LineCorpus to keep the bytes as they are "
                        "(the model and its word2vec files keep them too), or 'replace' or "
                        "'ignore'."
                    ) from err
                offset += len(raw)
                # universal newlines, as text mode: \n, \r\n and a lone \r end a line
                if text.endswith("\r\n"):
                    text = text[:-2]
                elif text.endswith(("\n", "\r")):
                    text = text[:-1]
                for piece in text.split("\r"):
                    lineno += 1
                    yield piece

    def _iter_text(self):
        lineno = 0
        with open_file(self.path, "rt", encoding=self.encoding, errors=self.errors) as f:
            try:
                for line in f:
                    lineno += 1
                    yield line.rstrip("\r\n")
            except UnicodeDecodeError as err:
                raise ValueError(
                    f"{self.path}: text after line {lineno} is not valid {self.encoding}: "
                    f"{err.reason}. Pass the right encoding=, or errors='replace' (or 'ignore') "
                    "to LineCorpus to read it anyway.") from err
            except DECOMPRESSION_ERRORS as err:
                if not is_compressed(f.buffer):
                    raise
                raise self._corrupt(lineno, err) from err

    def _corrupt(self, lineno, err, offset=None):
        at = "" if offset is None else f" (uncompressed byte offset {offset})"
        return ValueError(
            f"{self.path}: corrupt or truncated compressed file after line {lineno}{at}: {err}")

    def __repr__(self):
        return f"LineCorpus({self.path!r})"

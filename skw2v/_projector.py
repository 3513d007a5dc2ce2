"""The TensorBoard Embedding Projector's files: word vectors and their words, ready to view.

:meth:`KeyedVectors.save_projector` is the public face. Four files go into one directory,
in the formats the projector reads (``parseTensors`` and ``parseMetadata`` of its web app,
and TensorBoard's projector plugin):

- ``tensors.tsv``: one vector per line, its values separated by tabs, no header. Each
  float32 value is written with 9 significant digits, which read back as float32 (the
  projector's Float32Array, ``np.loadtxt(..., dtype=np.float32)``) give it exactly.
- ``metadata.tsv``: a header line ``word<TAB>count``, then the word and its corpus count of
  each vector, in the same order. The count is left empty when the vectors have no counts
  (the projector reads an empty field as a missing value). The projector skips blank lines:
  with a count a line is never blank, and without counts a blank word is refused.
- ``config.json``: the projector config in JSON (``projector_config.proto``'s JSON form),
  what ``projector.tensorflow.org/?config=URL`` loads.
- ``projector_config.pbtxt``: the same config in protobuf text format, which TensorBoard's
  projector plugin reads from a log directory (``tensorboard --logdir DIRECTORY``).

The projector splits lines at newlines and columns at tabs and does not quote, so a word
holding a tab, newline or carriage return cannot be written; nothing is written then. A word
holding undecodable bytes (``"caf\\udce9"``) is written as those bytes, with a warning: the
file is then not valid UTF-8, which the web projector shows as replacement characters and
TensorBoard refuses.
"""

import errno
import json
import os
import uuid
import warnings

import numpy as np

from ._words import ENCODING, ERRORS, check_word

TENSORS, METADATA = "tensors.tsv", "metadata.tsv"
CONFIG, PBTXT = "config.json", "projector_config.pbtxt"
FILES = (TENSORS, METADATA, CONFIG, PBTXT)
TENSOR_NAME = "word vectors"
HEADER = "word\tcount\n"
# The characters that end a field or a line in the projector's TSV files.
FIELD_ENDS = {"\t": "a tab", "\n": "a newline", "\r": "a carriage return"}
# float32 values formatted per write of tensors.tsv: bounds the text held at once (~20 MiB).
_BLOCK_VALUES = 1 << 20


def write_projector(directory, keys, vectors, counts=None):
    """Write the projector's files for `keys`, their `vectors` and `counts` into `directory`.

    Every check runs before a file is opened; the files are written under temporary
    names and renamed over the old ones only once all four are complete. The parameters
    and errors are those of :meth:`KeyedVectors.save_projector` (`keys` and `vectors`
    are the rows to write, `counts` None or one count per row).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n_rows, dim = vectors.shape
    if dim < 2:
        raise ValueError(f"the Embedding Projector shows vectors of 2 dimensions or more; "
                         f"these have {dim}")
    _check_finite(keys, vectors)
    contents = {
        TENSORS: lambda fout: write_tensors(fout, vectors),
        METADATA: metadata_bytes(keys, counts),
        CONFIG: config_json(n_rows, dim),
        PBTXT: config_pbtxt(n_rows, dim),
    }
    directory = _make_directory(directory)
    _write_files(directory, contents)


def _check_finite(keys, vectors):
    """ValueError naming the first word whose vector holds NaN or infinity."""
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(
            f"the vector of word {keys[row]!r} (row {row}) holds NaN or infinity, which the "
            "Embedding Projector cannot read; replace or leave out such vectors first"
        )


def key_problem(key):
    """Why ``key`` cannot be a word of ``metadata.tsv``, or None."""
    for end, name in FIELD_ENDS.items():
        if end in key:
            return f"it holds {name}"
    return None


def metadata_bytes(keys, counts):
    """``metadata.tsv`` as bytes: a header, then ``word<TAB>count`` lines (UTF-8, undecodable
    bytes kept as :data:`ERRORS` keeps them); ValueError naming a word it cannot hold."""
    joined = "".join(keys)
    if any(end in joined for end in FIELD_ENDS):  # one pass in the common case
        for row, key in enumerate(keys):
            problem = key_problem(key)
            if problem is not None:
                raise ValueError(
                    f"word {key!r} (row {row}) cannot be written to {METADATA}: {problem}, and "
                    "the Embedding Projector splits lines at newlines and columns at tabs. "
                    "Replace or remove such characters in the words first"
                )
    if counts is None:
        _check_not_blank(keys)
    column = [""] * len(keys) if counts is None else np.asarray(counts).tolist()
    text = HEADER + "".join([f"{key}\t{count}\n" for key, count in zip(keys, column)])
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError:  # surrogates: undecodable bytes, or a word no bytes make
        undecodable = [key for row, key in enumerate(keys) if _undecodable(key, row)]
    warnings.warn(
        f"{len(undecodable):,} word(s) hold bytes that are not UTF-8 (e.g. {undecodable[0]!r}); "
        f"{METADATA} holds them as they were read, so it is not valid UTF-8: the web "
        "projector shows them as U+FFFD replacement characters and TensorBoard cannot serve "
        "the file",
        UnicodeWarning, stacklevel=4)  # the caller of KeyedVectors.save_projector
    return text.encode(ENCODING, ERRORS)


def _check_not_blank(keys):
    """Without counts, a blank word would make a blank line, which the projector skips (its
    labels would then shift by one): ValueError naming the first such word."""
    for row, key in enumerate(keys):
        # JavaScript's trim() removes what isspace() finds, and the BOM
        if not key.replace("\ufeff", "").strip():
            raise ValueError(
                f"word {key!r} (row {row}) is blank: without counts its line in {METADATA} "
                "would be blank, which the Embedding Projector skips, shifting the words after "
                "it. Give the KeyedVectors counts, or rename or remove the word first"
            )


def _undecodable(key, row):
    """Whether `key` holds undecodable bytes; UnstorableWord (a ValueError naming it) if it
    holds surrogates that no bytes decode to."""
    try:
        key.encode(ENCODING)
        return False
    except UnicodeEncodeError:
        check_word(key, row)
        return True


def write_tensors(fout, vectors):
    """Write ``tensors.tsv`` to the binary file `fout`: tab-separated rows, 9 digits (the
    fewest that give every float32 back)."""
    n_rows, dim = vectors.shape
    row_format = "\t".join(["%.9g"] * dim) + "\n"
    step = max(1, _BLOCK_VALUES // dim)
    for start in range(0, n_rows, step):
        rows = vectors[start:start + step].astype(np.float64).tolist()
        fout.write("".join([row_format % tuple(row) for row in rows]).encode("ascii"))


def config_json(n_rows, dim):
    """``config.json``: the projector config in its JSON form, as bytes."""
    config = {"embeddings": [{"tensorName": TENSOR_NAME, "tensorShape": [n_rows, dim],
                              "tensorPath": TENSORS, "metadataPath": METADATA}]}
    return (json.dumps(config, indent=2) + "\n").encode("ascii")


def config_pbtxt(n_rows, dim):
    """``projector_config.pbtxt``: the same config in protobuf text format, as bytes."""
    return (
        "embeddings {\n"
        f'  tensor_name: "{TENSOR_NAME}"\n'
        f"  tensor_shape: {n_rows}\n"
        f"  tensor_shape: {dim}\n"
        f'  tensor_path: "{TENSORS}"\n'
        f'  metadata_path: "{METADATA}"\n'
        "}\n"
    ).encode("ascii")


def _make_directory(directory):
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", directory)
    os.makedirs(directory, exist_ok=True)
    for name in FILES:
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", path)
    return directory


def _write_files(directory, contents):
    """Write each of `contents` (bytes, or a function of the open binary file) to a
    temporary name in `directory`, then rename them all to their names."""
    tag = uuid.uuid4().hex[:12]
    written = {}
    try:
        for name, content in contents.items():
            temporary = os.path.join(directory, f".{name}.{tag}.tmp")
            # "xb": a new file with the permissions of open(), unlike mkstemp's 0600
            with open(temporary, "xb") as fout:
                written[name] = temporary
                if callable(content):
                    content(fout)
                else:
                    fout.write(content)
        for name in list(written):
            os.replace(written.pop(name), os.path.join(directory, name))
    finally:
        for temporary in written.values():  # only after a failure
            try:
                os.remove(temporary)
            except OSError:
                pass

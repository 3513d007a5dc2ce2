"""Where downloaded data sets are cached."""

import os
import shutil
from pathlib import Path

DATA_HOME_ENV = "SKW2V_DATA"


def get_data_home(data_home=None):
    """Return the folder that caches data sets, creating it if missing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default, the ``SKW2V_DATA`` environment
        variable, or ``~/skw2v_data`` when it is unset.

    Returns
    -------
    data_home : str
        Absolute path of the folder.

    Examples
    --------
    >>> import tempfile, os
    >>> from skw2v.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.path.isdir(get_data_home(os.path.join(tmp, "cache")))
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or "~/skw2v_data"
    path = Path(data_home).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def clear_data_home(data_home=None):
    """Delete the data home folder and everything in it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to delete, as resolved by :func:`get_data_home`.

    Examples
    --------
    >>> import tempfile, os
    >>> from skw2v.datasets import clear_data_home, get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     home = get_data_home(os.path.join(tmp, "cache"))
    ...     clear_data_home(home)
    ...     os.path.exists(home)
    False
    """
    shutil.rmtree(get_data_home(data_home))

"""One line when numba compiles skw2v's kernels, instead of a silent pause.

skw2v's numba functions are cached on disk (``cache=True``), so only the
first use after installing (or upgrading, or with an empty
``NUMBA_CACHE_DIR``) compiles them; that takes seconds. numba announces
each real compilation (not a cache load) as a ``numba:compile`` event; the
listener below turns the first one of a skw2v function into a single
message on the "skw2v" logger, at WARNING so that it shows without any
logging setup (Python's last-resort handler prints it to stderr) and can
be silenced like any other log record.
"""

import logging
import threading

from numba.core import event
from numba.core.registry import CPUDispatcher

logger = logging.getLogger("skw2v")

MESSAGE = ("compiling skw2v's numba kernels for this machine (once: later runs load them "
           "from numba's cache); this takes a few seconds")


class _CompileNotice(event.Listener):
    """Logs :data:`MESSAGE` at the first compilation of a skw2v function in this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.told = False

    def on_start(self, ev):
        dispatcher = ev.data.get("dispatcher")
        # CPU kernels only: they are cached, so "once" holds (the GPU kernel compiles in every
        # process, which the user guide says)
        if not isinstance(dispatcher, CPUDispatcher):
            return
        if not getattr(dispatcher.py_func, "__module__", "").startswith("skw2v"):
            return
        with self.lock:
            if self.told:
                return
            self.told = True
        logger.warning(MESSAGE)

    def on_end(self, ev):
        pass


NOTICE = _CompileNotice()
event.register("numba:compile", NOTICE)

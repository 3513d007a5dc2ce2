"""Sphinx configuration of the skw2v documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import os
import sys

# Document the working tree, installed or not.
sys.path.insert(0, os.path.abspath(".."))

import skw2v  # noqa: E402

project = "skw2v"
author = "the skw2v developers"
copyright = "the skw2v developers, BSD-3-Clause"
version = release = skw2v.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

# API pages are written by hand (docs/api.rst); autosummary only draws tables,
# so nothing is generated into the source tree.
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
# Members are listed by autodoc; numpydoc only formats the docstrings.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
html_theme_options = {
    "description": "word2vec CBOW as a scikit-learn estimator",
    "page_width": "1100px",
}


# -- ``.. skw2v-cli-help:: [COMMAND]``: the CLI's own --help text -------------
# docs/cli.rst shows what ``skw2v [COMMAND] --help`` prints, taken from the
# argparse parser at build time so that the page cannot drift from the code.

import contextlib  # noqa: E402
import io  # noqa: E402

from docutils import nodes  # noqa: E402
from sphinx.util.docutils import SphinxDirective  # noqa: E402


def cli_help(command=None):
    """The text ``skw2v [command] --help`` prints, 80 columns wide."""
    from skw2v.cli import build_parser

    argv = ([command] if command else []) + ["--help"]
    out = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            build_parser().parse_args(argv)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return out.getvalue().rstrip()


class CLIHelp(SphinxDirective):
    optional_arguments = 1

    def run(self):
        text = cli_help(self.arguments[0] if self.arguments else None)
        if not text:
            raise self.error(f"skw2v {' '.join(self.arguments)} --help printed nothing")
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("skw2v-cli-help", CLIHelp)
    return {"parallel_read_safe": True}

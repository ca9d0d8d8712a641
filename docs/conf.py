"""Sphinx configuration for the cloudant documentation (``make docs``; warnings are errors)."""
from __future__ import annotations

import os
import sys

# The package is installed in the virtualenv in editable mode; this line lets a plain ``sphinx-build`` in a
# checkout find it too.
sys.path.insert(0, os.path.abspath(".."))

import cloudant  # noqa: E402

project = "cloudant"
author = "cloudant contributors"
copyright = "the cloudant contributors; Apache License 2.0"  # noqa: A001 - Sphinx's name
release = cloudant.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
# No intersphinx: the build must work without a network, and intersphinx fetches inventories.

# ``make docs`` runs with -n (nitpicky) and -W: every reference to the project's own names must resolve.
# Without intersphinx, names of the standard library, requests and urllib3 have no target here.
nitpick_ignore_regex = [
    (r"py:.*", r"(requests|urllib3|json|contextlib|types|typing|collections\.abc|os|pathlib|argparse)(\..+)?"),
    (r"py:class", r"cloudant\.[\w.]*\._T"),  # the type variable of overloaded signatures (``CouchDB.get``)
    (r"py:class", r"cloudant\._endpoint\.Endpoint"),  # the private wire layer (``FeedTarget(endpoint, ...)``)
]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list = []

autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # The dict protocol is where python-cloudant's semantics live (cache hits, remote lookups).
    "special-members": "__getitem__, __setitem__, __delitem__, __contains__, __iter__, __call__, __enter__, "
                       "__exit__",
}
# Signatures show the annotations; the parameter descriptions stay in the reST field lists.
autodoc_typehints = "signature"
autoclass_content = "both"

html_theme = "alabaster"
html_static_path: list = []
html_title = "cloudant %s" % release
html_theme_options = {
    "description": "Dict-style Python client for Apache CouchDB and IBM Cloudant",
    "fixed_sidebar": True,
}


def _public_bases(app, name, obj, options, bases) -> None:  # noqa: ARG001 - the signature Sphinx calls
    """Leave the package's private base classes (``cloudant._server.ServerEndpoints``...) out of "Bases:"."""
    bases[:] = [base for base in bases if not getattr(base, "__module__", "").startswith("cloudant._")]


def setup(app) -> None:
    app.connect("autodoc-process-bases", _public_bases)

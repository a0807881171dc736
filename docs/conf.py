"""Sphinx configuration for runic's documentation."""

project = "runic"
author = "the runic developers"
copyright = "2026, the runic developers"
extensions = ["sphinx.ext.autodoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_typehints = "none"
# Every cross-reference must resolve: the suite builds with -W, so a broken one fails it.
nitpicky = True

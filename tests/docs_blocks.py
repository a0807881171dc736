"""The ``.. code-block:: python`` blocks of a docs page, so tests can run them."""

from __future__ import annotations

import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def code_blocks(page: str | Path) -> list[str]:
    """Every Python code block of ``docs/<page>`` (or of the file at a path), dedented, in
    page order."""
    lines = (DOCS / page).read_text().splitlines()
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != ".. code-block:: python":
            index += 1
            continue
        index += 1
        body: list[str] = []
        while index < len(lines) and (not lines[index].strip() or lines[index].startswith(" ")):
            body.append(lines[index])
            index += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


def block_containing(page: str, text: str) -> str:
    """The one code block of ``page`` that contains ``text``."""
    found = [block for block in code_blocks(page) if text in block]
    assert len(found) == 1, f"{len(found)} code blocks of {page} contain {text!r}"
    return found[0]


def block_of_kind(page: str, language: str) -> str:
    """The one ``.. code-block:: <language>`` block of ``docs/<page>``."""
    lines = (DOCS / page).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == f".. code-block:: {language}"]
    assert len(starts) == 1, f"{len(starts)} {language} blocks in {page}"
    body: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if line.strip() and not line.startswith(" "):
            break
        body.append(line)
    return textwrap.dedent("\n".join(body)).strip() + "\n"

"""The async guide's code blocks are all in docs/async.rst, and every block there is run."""

from __future__ import annotations

from tests.docs_blocks import code_blocks
from tests.live.async_guide.blocks import ANNOTATED, GUIDE, MARKERS, PAGE


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip()]


def _appears_in(guide_block: str, docs_block: str) -> bool:
    """Each guide line, or its annotated form, is in the docs block, in order."""
    remaining = iter(_lines(docs_block))
    return all(ANNOTATED.get(line, line) in remaining for line in _lines(guide_block))


def test_the_guide_has_nine_code_blocks() -> None:
    text = GUIDE.read_text()
    assert text.count(".. code-block:: python") == len(code_blocks(GUIDE)) == 9


def test_every_guide_block_is_in_the_docs_page() -> None:
    docs = code_blocks(PAGE)
    for guide_block in code_blocks(GUIDE):
        homes = [block for block in docs if _appears_in(guide_block, block)]
        assert len(homes) == 1, f"docs/{PAGE} does not show this guide block:\n{guide_block}"


def test_the_check_notices_a_changed_line() -> None:
    guide_block = code_blocks(GUIDE)[1]
    assert _appears_in(guide_block, guide_block)
    assert not _appears_in(guide_block, guide_block.replace("fetch=", "load="))
    assert not _appears_in(guide_block, "\n".join(reversed(guide_block.splitlines())))


def test_every_docs_block_is_run_by_a_test() -> None:
    for block in code_blocks(PAGE):
        found = [marker for marker in MARKERS if marker in block]
        assert len(found) == 1, f"{len(found)} markers name this block of {PAGE}:\n{block}"
    assert len(code_blocks(PAGE)) == len(MARKERS)

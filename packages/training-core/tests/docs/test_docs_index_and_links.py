"""docs/README.md indexes every page under docs/, and every relative link in the docs points at a file that
exists."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[4] / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def relative_links(page):
    for target in LINK.findall(page.read_text()):
        if "://" not in target and not target.startswith("mailto:"):
            yield target


def test_index_links_every_page():
    index = DOCS / "README.md"
    linked = {(DOCS / target).resolve() for target in relative_links(index)}
    pages = {p.resolve() for p in DOCS.rglob("*.md") if p != index}
    missing = sorted(str(p.relative_to(DOCS.resolve())) for p in pages - linked)
    assert not missing, f"docs/README.md does not link {missing}"


def test_relative_links_resolve():
    broken = [
        f"{page.relative_to(DOCS)}: {target}"
        for page in DOCS.rglob("*.md")
        for target in relative_links(page)
        if not (page.parent / target).exists()
    ]
    assert not broken, broken

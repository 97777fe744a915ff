"""A link box shows at most 20 records and links to a page with all of them (issue #10).

No bundled note is mentioned by more than 20 others, so this builds a project of native notes:
one paper and 25 notes that name it."""

from __future__ import annotations

import re

from kb.build import build_site
from kb.config import Settings

PAPER = """---
title: "Foo-Net: A Network for Everything"
issue_date: 2025-01-01
---
## summary
The paper itself.
"""


def citing_note(n: int) -> str:
    return f"""---
title: "Citing paper {n:02d}"
issue_date: 2025-02-{n:02d}
---
## summary
Builds on Foo-Net ({n}).
"""


def test_a_long_box_shows_twenty_and_links_to_all(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "foo.md").write_text(PAPER, encoding="utf-8")
    for n in range(1, 26):
        (notes / f"citing-{n:02d}.md").write_text(citing_note(n), encoding="utf-8")
    out = tmp_path / "site"
    build_site(tmp_path, Settings(), out, notes, search=False)
    page = (out / "records/foo/index.html").read_text(encoding="utf-8")
    box = page[page.index('id="links-mentioned_by"'):]
    box = box[: box.index("</section>")]
    assert len(re.findall(r'class="record-title"', box)) == 20
    more = re.search(r'<a href="([^"]+)">すべての 25 件を見る</a>', box)
    assert more and more.group(1) == "../../records/foo/mentioned_by/index.html"
    rest = (out / "records/foo/mentioned_by/index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'class="record-title"', rest)) == 25
    assert "この記録に言及しているもの" in rest

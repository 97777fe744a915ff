"""CSL-JSON and RIS beside BibTeX, and the formatted reference on record and paper pages.

records.csl.json is validated against the CSL-JSON schema of citation-style-language/schema
(vendored as tests/data/csl-data.json, see tests/data/README.md); citeproc-py formats every
entry; rispy (the RIS reader Zotero-compatible tools use in Python) reads records.ris back.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import rispy

from conftest import NOTES, ROOT
from kb.build import build_site
from kb.config import load_settings
from kb.render.citations import csl_item, formatted_reference

SCHEMA = json.loads((Path(__file__).parent / "data" / "csl-data.json").read_text())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cite") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False, cache=False)
    return out


def csl(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_records_csl_json_validates_against_the_csl_schema(site):
    items = csl(site / "records.csl.json")
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.Draft7Validator(SCHEMA).validate(items)
    bib_keys = sorted(line.split("{", 1)[1].rstrip(",") for line in (site / "records.bib").read_text().splitlines()
                      if line.startswith("@"))
    assert [item["id"] for item in items] == bib_keys  # the same entries as records.bib, in key order
    assert len(items) == 171  # every record of the bundled notes (kb check: "171 records")


def test_every_tag_has_csl_json_and_ris_that_validate(site):
    tags = sorted((site / "tags").glob("*/references.csl.json"))
    assert len(tags) == len(list((site / "tags").glob("*/references.bib"))) > 50
    for path in tags:
        jsonschema.Draft7Validator(SCHEMA).validate(csl(path))
        assert (path.parent / "references.ris").is_file()


def test_csl_items_by_kind(site):
    items = {item["id"]: item for item in csl(site / "records.csl.json")}
    assert items["wang2025improving"]["type"] == "paper-conference"
    assert items["wang2025improving"]["container-title"] == "EMNLP2025"
    assert items["wang2025improving"]["author"][:2] == [{"family": "Wang", "given": "Suyuchen"},
                                                        {"family": "Wang", "given": "Jinlin"}]
    assert items["2025anyanomaly"] | {} == {
        "id": "2025anyanomaly", "citation-key": "2025anyanomaly", "type": "article",
        "title": "AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM",
        "issued": {"date-parts": [[2025]]}, "publisher": "arXiv", "number": "arXiv:2503.04504", "genre": "Preprint",
        "URL": "http://arxiv.org/abs/2503.04504v1"}
    assert items["2025lora"]["type"] == "post-weblog"
    assert items["lv2024full"]["author"] == [{"family": "Lv"}]  # the listing's `Lv+`
    assert items["2019efficientnet"]["author"] == [{"literal": "omiita (オミータ)"}]


def test_citeproc_formats_every_entry(site):
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = csl(site / "records.csl.json")
    style = CitationStylesStyle("harvard-cite-them-right", validate=False, locale="en-US")
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    formatted = [str(entry) for entry in bibliography.bibliography()]
    assert len(formatted) == len(items) and all(f.strip() for f in formatted)


def test_ris_reads_back_with_every_entry(site):
    entries = rispy.loads((site / "records.ris").read_text(encoding="utf-8"))
    assert len(entries) == 171
    by_id = {e["id"]: e for e in entries}
    assert by_id["wang2025improving"]["type_of_reference"] == "CPAPER"
    assert by_id["wang2025improving"]["authors"][0] == "Wang, Suyuchen"
    assert by_id["wang2025improving"]["year"] == "2025"
    assert by_id["2025anyanomaly"]["type_of_reference"] == "UNPB"
    assert by_id["2025anyanomaly"]["urls"] == ["http://arxiv.org/abs/2503.04504v1"]


def test_formatted_reference_on_record_and_paper_pages(site):
    html = (site / "records/2503.04504/index.html").read_text()
    assert ('<p id="reference" class="reference">“AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with '
            'LVLM” (2025). arXiv. Available at: <a href="http://arxiv.org/abs/2503.04504v1" rel="noopener">'
            'http://arxiv.org/abs/2503.04504v1</a>.</p>') in html
    assert 'data-copy="reference"' in html
    paper = next((site / "papers").glob("*/index.html")).read_text()
    assert 'data-copy="reference"' in paper and 'data-copy="bibtex"' in paper


def test_formatted_reference_of_a_conference_paper():
    from kb.models import Record, SourceSpan

    record = Record(title="LoRA+: Efficient Low Rank Adaptation of Large Models", authors=["Soufiane Hayou",
                    "Nikhil Ghosh", "Bin Yu"], venue="ICML'24", year=2024, url="https://arxiv.org/abs/2402.12354",
                    source=SourceSpan(path="n.md", format="native", line_start=1, line_end=2))
    assert csl_item(record, "hayou2024lora")["type"] == "paper-conference"
    assert formatted_reference(record, "hayou2024lora") == (
        "Hayou, S., Ghosh, N. and Yu, B. (2024) “LoRA+: Efficient Low Rank Adaptation of Large Models”, "
        "ICML'24. Available at: https://arxiv.org/abs/2402.12354.")


def test_remembered_style_searches_give_citeproc_s_own_reference_for_every_bundled_record(monkeypatch):
    """kb keeps the nodes each XPath search of the style found (kb.render.citations.
    remember_style_searches): the 171 bundled records' references are the ones citeproc-py gives
    searching every time, and there are as many distinct references as records with a key."""
    from citeproc.model import CitationStylesElement

    from kb.index import build_index
    from kb.records import parse_notes
    from kb.render.bibtex import citation_keys
    from kb.render.citations import reference_text, style

    settings = load_settings(ROOT)[0]
    records = build_index(parse_notes(NOTES, ROOT, settings).records, settings).records
    keys = citation_keys(records)
    style()  # installs the remembered searches
    remembered = CitationStylesElement.xpath_search
    assert remembered.__wrapped__ is not remembered
    reference_text.cache_clear()
    kept = {r.id: formatted_reference(r, keys[r.id]) for r in records}
    monkeypatch.setattr(CitationStylesElement, "xpath_search", remembered.__wrapped__)
    reference_text.cache_clear()
    searched = {r.id: formatted_reference(r, keys[r.id]) for r in records}
    reference_text.cache_clear()
    assert len(records) == 171
    assert kept == searched
    assert len(set(kept.values())) > 150
    assert kept["2503.04504"] == ("“AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM” (2025). "
                                  "arXiv. Available at: http://arxiv.org/abs/2503.04504v1.")

"""Citations beside BibTeX: CSL-JSON, RIS and one formatted reference per record.

    csl_item(record, key) -> dict         one CSL-JSON item (schema: citationstyles.org csl-data.json)
    csl_json(records, keys) -> bytes      `records.csl.json`, `tags/<slug>/references.csl.json`
    ris_file(records, keys) -> bytes      `records.ris`, `tags/<slug>/references.ris`
    formatted_reference(record, key)      plain text in the Harvard (Cite Them Right) style, by
                                          citeproc-py with its bundled style and en-US locale

Every file reads what the BibTeX files read (`cite:<id>`: the key and the citation fields), and
entries are in citation-key order, like records.bib. Types: a paper at a proceedings venue is
`paper-conference` (RIS CPAPER); any other paper `article` with arXiv as publisher and its id as
number (RIS UNPB); a blog post `post-weblog` (BLOG); a web article `webpage` (ELEC); a talk
`speech` with its meeting as event (GEN); a repository `software` (COMP); anything else
`document` (GEN). Names split as BibTeX splits them (family, given); a name without a space
stays a family name (`Lv`), or whole (`literal`) when not in Latin letters (`山田太郎`). Only http(s) URLs are written.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache, wraps

from pybtex.database import Person

from kb.models import Record
from kb.render.bibtex import entry_type, record_url, record_year

CSL_TYPES = {"blog": "post-weblog", "article": "webpage", "talk": "speech", "repository": "software",
             "other": "document"}
RIS_TYPES = {"paper-conference": "CPAPER", "article": "UNPB", "post-weblog": "BLOG", "webpage": "ELEC",
             "speech": "GEN", "software": "COMP", "document": "GEN"}
STYLE, LOCALE = "harvard-cite-them-right", "en-US"  # bundled with citeproc-py


def csl_type(record: Record) -> str:
    if record.kind == "paper":
        return "paper-conference" if entry_type(record) == "inproceedings" else "article"
    return CSL_TYPES[record.kind]


def csl_name(name: str) -> dict[str, str]:
    return dict(name_parts(name))


@lru_cache(maxsize=1 << 16)
def name_parts(name: str) -> tuple[tuple[str, str], ...]:
    """csl_name's parts, worked out once per name and process: a clean build at 1,000 notes wrote
    the same authors 25,000 times (each tag's CSL-JSON and RIS files list its records again), and
    pybtex's name parser was 4% of its time."""
    name = " ".join(name.replace("{", "").replace("}", "").split())
    if " " not in name and "," not in name:  # `Lv` (of a listing's `Lv+`) is a family name; `山田太郎` stays whole
        return (("family", name),) if name.isascii() else (("literal", name),)
    person = Person(name)
    family = " ".join(person.prelast_names + person.last_names)
    given = " ".join(person.first_names + person.middle_names)
    return (("family", family), ("given", given)) if family and given else (("literal", name),)


def csl_item(record: Record, key: str) -> dict:
    kind, year, url = csl_type(record), record_year(record), record_url(record)
    item: dict = {"id": key, "citation-key": key, "type": kind, "title": record.title}
    if record.authors:
        item["author"] = [csl_name(a) for a in record.authors if a.strip()]
    if year:
        item["issued"] = {"date-parts": [[year]]}
    if kind == "paper-conference":
        item["container-title"] = record.venue
    elif kind == "article" and record.arxiv_id:
        item.update({"publisher": "arXiv", "number": f"arXiv:{record.arxiv_id}", "genre": "Preprint"})
    elif kind == "speech" and record.meeting:
        item["event"] = record.meeting
    elif record.venue:
        item["container-title"] = record.venue
    if url:
        item["URL"] = url
    return item


def in_key_order(records: list[Record], keys: dict[str, str]) -> list[Record]:
    return sorted((r for r in records if r.id in keys), key=lambda r: keys[r.id])


def csl_json(records: list[Record], keys: dict[str, str]) -> bytes:
    items = [csl_item(r, keys[r.id]) for r in in_key_order(records, keys)]
    return (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris_entry(record: Record, key: str) -> str:
    item = csl_item(record, key)
    lines = [ris_line("TY", RIS_TYPES[item["type"]]), ris_line("ID", key), ris_line("TI", record.title)]
    for name in item.get("author", []):
        shown = name.get("literal") or ", ".join(filter(None, (name["family"], name.get("given"))))
        lines.append(ris_line("AU", shown))
    for tag, field in (("T2", "container-title"), ("T2", "event"), ("PB", "publisher"), ("M1", "number")):
        if item.get(field):
            lines.append(ris_line(tag, item[field]))
    if item.get("issued"):
        lines.append(ris_line("PY", item["issued"]["date-parts"][0][0]))
    if item.get("URL"):
        lines.append(ris_line("UR", item["URL"]))
    return "\n".join([*lines, "ER  - "]) + "\n"


def ris_file(records: list[Record], keys: dict[str, str]) -> bytes:
    return "\n".join(ris_entry(r, keys[r.id]) for r in in_key_order(records, keys)).encode("utf-8")


@lru_cache(maxsize=1)
def style():
    from citeproc import CitationStylesStyle

    remember_style_searches()
    return CitationStylesStyle(STYLE, validate=False, locale=LOCALE)


def remember_style_searches() -> None:
    """citeproc-py finds the style's macros, layout, locale and terms by an XPath search from an
    element of the style each time it needs one: 64 searches per reference, half its time (3.9 ms
    a reference without this, 1.9 ms with it: 20 s of CPU in a clean build at 10,000 notes). The
    style's tree never changes once read, and every caller only reads what a search found, so
    the nodes an element's search finds are kept by (element, expression), as a tuple nothing
    can change; the elements kept alive keep their identity. Installed once per process."""
    from citeproc.model import CitationStylesElement

    search = CitationStylesElement.xpath_search
    if hasattr(search, "__wrapped__"):
        return
    found: dict = {}

    @wraps(search)
    def remembered(element, expression: str):
        key = (element, expression)
        nodes = found.get(key)
        if nodes is None:
            nodes = found[key] = tuple(search(element, expression))
        return nodes

    CitationStylesElement.xpath_search = remembered


def formatted_reference(record: Record, key: str) -> str:
    """The record as one reference in the Harvard style, plain text (pages escape it)."""
    return reference_text(json.dumps(csl_item(record, key), ensure_ascii=False, sort_keys=True), key)


@lru_cache(maxsize=1 << 12)
def reference_text(item_json: str, key: str) -> str:
    """citeproc's reference for one CSL-JSON item, kept per process by the item's whole text:
    a record page re-rendered for a neighbour's change (kb serve) keeps its reference (3 ms each,
    1.3 s of a 423-page rebuild at 10,000 notes)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    item = json.loads(item_json)
    with warnings.catch_warnings():  # citeproc-py warns of CSL fields it does not use (citation-key)
        warnings.simplefilter("ignore")
        bibliography = CitationStylesBibliography(style(), CiteProcJSON([item]), formatter.plain)
        bibliography.register(Citation([CitationItem(key)]))
        text = " ".join(str(bibliography.bibliography()[0]).split())
    return without_repeated_title(text, item)  # citeproc reads the item, never changes it


def without_repeated_title(text: str, item: dict) -> str:
    """An authorless entry once: the style puts the title in the author's place, and citeproc-py
    0.11 does not suppress it in the title's own place (`“T” (2025) “T”. arXiv.`)."""
    quoted = f"“{item['title']}”"
    if "author" in item or not text.startswith(quoted) or text.count(quoted) < 2:
        return text
    head, _, tail = text[len(quoted):].partition(" " + quoted)
    return quoted + head + tail

"""Note shapes that once cost super-linear time (issue #19, row 5 of the table), each built to a
given size in characters: the linearity test (tests/test_linear_time.py) builds them at N and 2N,
`python bench/hostile_linear.py` at 1, 2 and 4 MB."""

from __future__ import annotations

import datetime as dt

LISTING_ENTRY = ("#Pocket #NLP\nIssue Date: 2025-08-26 [Paper Note] A Repeated Entry About Attention, "
                 "Ada Lovelace+, arXiv'25 Summary- 同じ行が何度も。 Comment 繰り返し\n")
FRONT = "---\ntitle: Hostile Shape\nkind: paper\n---\n"


def repeat_to(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def costs_digits(size: int) -> str:
    """`## costs` then one run of digits (the GPU-hours pattern backtracked over it)."""
    return f"{FRONT}## costs\n{'1' * size}\n"


def headings(size: int) -> str:
    """The same `## x` heading on every line (each section needs its own anchor)."""
    return FRONT + repeat_to("## x\n", size)


def long_section(size: int) -> str:
    """One section of many short lines (its body was rebuilt for every line)."""
    return FRONT + "## 実験\n" + repeat_to("あ\n", size)


def repeated_entry(size: int) -> str:
    """One listing entry printed over and over, one day apart (each line was compared with every earlier one)."""
    count = max(1, size // len(LISTING_ENTRY))
    return "ShapeTag\n" + "".join(numbered(LISTING_ENTRY, n, (dt.date(2000, 1, 1) + dt.timedelta(days=n)).isoformat())
                                  for n in range(count))


def numbered(entry: str, n: int, date: str = "2025-08-26") -> str:
    """The entry with a title of its own (no two share a word: the same-paper blocks stay small)."""
    title = f"Q{n:x} R{n * 7:x} S{n * 13:x} T{n * 31:x}"
    return entry.replace("A Repeated Entry About Attention", title).replace("2025-08-26", date)


def tags_before_header(size: int) -> str:
    """`#a ` thousands of times before an entry's `Issue Date:` (the tag-run pattern)."""
    entries = "".join(numbered(LISTING_ENTRY, n) for n in range(3))
    return f"ShapeTag\n{entries}{repeat_to('#a ', size)}{entries}"


def paragraph(size: int) -> str:
    """One paragraph with no line break, Japanese and ASCII words."""
    return f"{FRONT}## summary\n{repeat_to('LoRAの学習率を変える。 ', size)}\n"


def link_card(size: int) -> str:
    """A minutes talk line shaped like a copied link card with no ` - ` to end its title."""
    return ("2025-09-24 機械学習勉強会\n\n@someone\n[論文] A Talk\n"
            f"arxiv.orgA{' ' * size}x\n")


SHAPES = {
    "costs_digits": costs_digits,
    "headings": headings,
    "long_section": long_section,
    "repeated_entry": repeated_entry,
    "tags_before_header": tags_before_header,
    "paragraph": paragraph,
    "link_card": link_card,
}


def heading_spaces(size: int) -> str:
    """A `## ` heading with a long run of spaces inside it (a lazy heading pattern retried each)."""
    return f"{FRONT}## a{' ' * size}b\n本文。\n"


def summaries_heading_spaces(size: int) -> str:
    """The eight-question format with a long run of spaces in a `## ` heading."""
    return ("# A Paper\n[View Paper](https://arxiv.org/abs/2106.09685)\n"
            + "".join(f"## {n}. 問{n}\n答え{n}。\n" for n in range(1, 8)) + f"## 8.{' ' * size}x\n答え。\n")


def blog_heading_spaces(size: int) -> str:
    """A blog-style note whose `## ` heading holds a long run of spaces."""
    return ("紹介論文\nタイトル: A Paper\nURL: https://arxiv.org/abs/2106.09685\n\nこの論文を一言でまとめると\n本文。\n\n"
            f"## 手法{' ' * size}x\n本文。\n")


def tags_then_text(size: int) -> str:
    """`#a #a … #a x` on the line before an entry's `Issue Date:` and before one on the same line."""
    entries = "".join(numbered(LISTING_ENTRY, n) for n in range(3))
    run = repeat_to("#a ", size // 2)
    return f"ShapeTag\n{entries}{run}x\nIssue Date: 2025-01-02 [Paper Note] T, A+, arXiv'25\n" \
           f"{run}x Issue Date: 2025-01-03 [Paper Note] U, B+, arXiv'25\n"


def same_date_entries(size: int) -> str:
    """Distinct entries, all of one date (each compared with every earlier one of its date)."""
    count = max(1, size // len(LISTING_ENTRY))
    return "ShapeTag\n" + "".join(numbered(LISTING_ENTRY, n) for n in range(count))


def headers_on_one_line(size: int) -> str:
    """Entries printed on one line, each `#tag Issue Date: …` after the previous one's text."""
    unit = "#Pocket Issue Date: 2025-08-26 [Paper Note] {title}, A+, arXiv'25 Summary 要約 "
    count = max(3, size // (len(unit) + 8))
    # Titles with no word in common: `Title {n}` merged most entries of 1 MB into a few (the links
    # alike), and fewer the longer the numbers, so the cost grew with the count of records, not the size.
    return "ShapeTag\n" + "".join(unit.format(title=f"Q{n:x} R{n * 7:x} S{n * 13:x} T{n * 31:x}")
                                   for n in range(count)) + "\n"


def title_spaces(size: int) -> str:
    """A plain Markdown note whose `# title` line holds a long run of spaces (read by detection)."""
    return f"# A{' ' * size}b\n\n本文。\n"


SHAPES.update({
    "title_spaces": title_spaces,
    "heading_spaces": heading_spaces,
    "summaries_heading_spaces": summaries_heading_spaces,
    "blog_heading_spaces": blog_heading_spaces,
    "tags_then_text": tags_then_text,
    "same_date_entries": same_date_entries,
    "headers_on_one_line": headers_on_one_line,
})


def summary_spaces(size: int) -> str:
    """A listing entry whose summary holds a run of spaces (`</div>` was looked for from every space)."""
    entries = "".join(numbered(LISTING_ENTRY, n) for n in range(3))
    return f"ShapeTag\n{entries}" + LISTING_ENTRY.replace("同じ行が", f"同じ{' ' * size}行が")


def costs_numbers_in_a_token(size: int) -> str:
    """`1a1a1a…` in `## costs` (each number read the rest of its token for GPU-hours and GPU-days)."""
    return f"{FRONT}## costs\n{repeat_to('1a', size)}\n"


def costs_days_in_a_token(size: int) -> str:
    """`1日1日1日…` in `## costs` (each wall-clock time looked to the end of its token for `GPU`)."""
    return f"{FRONT}## costs\n{repeat_to('1日', size)}\n"


def costs_gpu_names(size: int) -> str:
    """`A100 A100 …` in one statement (each name's count was looked for in the whole statement)."""
    return f"{FRONT}## costs\n{repeat_to('A100 ', size)}\n"


def costs_count_digits(size: int) -> str:
    """A run of digits before a GPU's name (read as its count: over 4,300 digits, int() raised)."""
    return f"{FRONT}## costs\n{'1' * size} A100\n"


def table_row_spaces(size: int) -> str:
    """Minutes whose main topic has `| key | value |` rows holding runs of spaces (that pattern was cubic)."""
    return ("2025-09-24 機械学習勉強会\n今週のTOPIC[論文] A TalkメインTOPICA Paper背景\n今週のTOPIC\n@someone\n"
            "[論文] A Talk\n- memo\nメインTOPIC\nA Paper\n"
            f"| Title |{' ' * (size // 2)}x\n|{' ' * (size // 2)}x\n背景\n本文\n")


def word(n: int) -> str:
    """A word of its own for each n, letters only (a digit would make titles differ in a number)."""
    letters = "bcdfghjklmnpqrstvwxz"
    out = "k"
    while n:
        n, digit = divmod(n, len(letters))
        out += letters[digit]
    return out


def alike_titles(size: int) -> str:
    """Listing entries whose titles share their first three words (one same-paper block: all pairs compared)."""
    count = max(1, size // len(LISTING_ENTRY))
    return "ShapeTag\n" + "".join(
        LISTING_ENTRY.replace("A Repeated Entry About Attention",
                              f"Alike Titled Paper {word(n)} {word(n * 7 + 3)} {word(n * 13 + 5)}")
        for n in range(count))


QUESTIONS = ("既存研究では何ができなかったのか", "どのようなアプローチでそれを解決しようとしたか",
             "結果、何が達成できたのか", "Limitationや問題点は何か", "技術的な詳細について",
             "コストや物理的な詳細について", "参考文献のうち、特に参照すべきもの",
             "この論文を140字以内のツイートで要約すると？")
SUMMARY = ("# The Same Paper Summarised Again\n[View Paper](https://arxiv.org/abs/2106.09685)\n"
           + "".join(f"## {n}. {question}\n答え。\n" for n, question in enumerate(QUESTIONS, 1)) + "---\n")


def same_title_summaries(size: int) -> str:
    """One summary of one paper, again and again (each record the same paper as every other)."""
    return repeat_to(SUMMARY, size)


def more_lines(size: int) -> str:
    """A listing entry followed by `more` line after `more` line: each looked ahead through a copy of
    the rest, and each was added to the entry's comment by copying the comment (5.7 s at 1 MB, 131 s at 4)."""
    entries = "".join(numbered(LISTING_ENTRY, n) for n in range(4))
    return "ShapeTag\n" + entries + repeat_to("more\n", size)


def backtick_pairs(size: int) -> str:
    """A listing comment of `a``a``…` (each lone `` looked to the end of its line for a later one)."""
    entries = "".join(numbered(LISTING_ENTRY, n) for n in range(3))
    return f"ShapeTag\n{entries}" + LISTING_ENTRY.replace("繰り返し", repeat_to("a``", size))


SHAPES.update({
    "more_lines": more_lines,
    "backtick_pairs": backtick_pairs,
    "alike_titles": alike_titles,
    "same_title_summaries": same_title_summaries,
    "summary_spaces": summary_spaces,
    "costs_numbers_in_a_token": costs_numbers_in_a_token,
    "costs_days_in_a_token": costs_days_in_a_token,
    "costs_gpu_names": costs_gpu_names,
    "costs_count_digits": costs_count_digits,
    "table_row_spaces": table_row_spaces,
})


def note_cost(text: str, name: str = "notes/shape.md") -> int:
    """Everything kb does with one note short of writing HTML: parse it, give its records ids, link
    them (compute, mentions, tags...), cut their sections into anchored blocks. The number of records."""
    from kb.config import Settings
    from kb.discover import SourceFile
    from kb.formats import parse_source
    from kb.index import build_index
    from kb.records import assign_ids
    from kb.render.pages import section_blocks
    from kb.text import Taken

    note = parse_source(SourceFile(name, text, "utf-8", "0"))
    records = assign_ids(note.records)
    build_index(records, Settings())
    for record in records:
        section_blocks(record, Taken())
    return len(records)

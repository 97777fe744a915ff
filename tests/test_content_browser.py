"""What a reader meets on the record pages of the bundled notes, in headless Chromium (issue #10):
links in text, a way to the paper, nothing shown twice, no false mention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import NOTES, ROOT, SEEDS, open_page
from kb.build import build_site
from kb.config import load_settings

pytestmark = pytest.mark.browser

ANYANOMALY = "records/2503.04504/index.html"

# One visit per record page: its kind, the text nodes of <main> that show a URL outside a link
# (code and preformatted text aside), its links out to the paper, and the links of its link boxes.
FACTS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('a, pre, code, [hidden]')) continue;
    if (/https?:\\/\\//.test(node.textContent)) found.push(node.textContent.trim().slice(0, 120));
  }
  const hrefs = sel => [...document.querySelectorAll(sel)].map(a => a.getAttribute('href'));
  return {
    kind: document.querySelector('.record-header .kind').dataset.kind, bare: found,
    out: hrefs(".paper-links a[href^='https://'], .paper-search a[href^='https://']"),
    boxes: hrefs('section.links a.record-title'),
  };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("content") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False)
    return out


@pytest.fixture(scope="module")
def facts(browser, server, site) -> dict[str, dict]:
    """Every record page's facts (see FACTS), by site path; page problems under "problems"."""
    page = open_page(browser, server)
    found = {}
    for path in record_pages(site):
        page.goto(server + path)
        found[path] = page.evaluate(FACTS)
    page.context.close()
    return {"pages": found, "problems": page.problems}


@pytest.fixture(scope="module")
def page(browser, server):
    page = open_page(browser, server)
    yield page
    page.context.close()


def record_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / "records").glob("*/index.html"))


def kind_of(page) -> str:
    return page.locator(".record-header .kind").get_attribute("data-kind")


def tweets_in_summaries_note() -> list[str]:
    """The text under each `## 8.` question of the summaries note, read straight from the note."""
    lines = (NOTES / SEEDS["summaries"]).read_text(encoding="utf-8").split("\n")
    tweets = []
    for index, line in enumerate(lines):
        if line.startswith("## 8."):
            body = next(text for text in lines[index + 1:] if text.strip())
            tweets.append(body.strip())
    return tweets


def test_no_bare_url_outside_a_link_on_any_record_page(facts):
    assert len(facts["pages"]) == 171
    assert {path: f["bare"] for path, f in facts["pages"].items() if f["bare"]} == {}
    assert facts["problems"] == []


def test_jet_nemotron_comment_is_four_links_with_labels_kept(page, server):
    page.goto(server + "records/jet-nemotron-efficient-language-model-with-post-neural-architecture-search/index.html")
    comment = page.locator("section[aria-labelledby=comment] .prose")
    hrefs = comment.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [
        "https://x.com/iscienceluvr/status/1959832287073403137?s=46&t=Y6UuIHB0Lv0IpmFAjlc2-Q",
        "https://x.com/hancai_hm/status/1960000017235902722?s=46&t=Y6UuIHB0Lv0IpmFAjlc2-Q",
        "https://x.com/jacksonatkinsx/status/1960090774122483783?s=46&t=Y6UuIHB0Lv0IpmFAjlc2-Q",
        "https://x.com/webbigdata/status/1960392071384326349?s=46&t=Y6UuIHB0Lv0IpmFAjlc2-Q",
    ]
    text = comment.inner_text()
    for label in ("元ポスト:", "著者ポスト:", "解説:", "所見:"):
        assert label in text


def test_each_summary_page_shows_its_tweet_once(page, server):
    tweets = tweets_in_summaries_note()
    assert len(tweets) == 23
    shown = 0
    for path in summary_pages():
        page.goto(server + path)
        main = page.locator("main").inner_text()
        # its own tweet once (other records' one-line summaries in its link boxes may quote theirs)
        assert [t for t in tweets if main.count(t) > 1] == [], path
        assert any(t in page.locator(".tweet-card").inner_text() for t in tweets), path
        shown += 1
    assert shown == 23


def summary_pages() -> list[str]:
    """The record page of each summary: its id is the arXiv id of its `[View Paper]` link."""
    text = (NOTES / SEEDS["summaries"]).read_text(encoding="utf-8")
    ids = re.findall(r"\[View Paper\]\(http://arxiv\.org/abs/(\d{4}\.\d{5})v\d\)", text)
    return [f"records/{i}/index.html" for i in ids]


def test_every_paper_record_links_to_the_paper_or_a_title_search(facts):
    papers = {path: f["out"] for path, f in facts["pages"].items() if f["kind"] == "paper"}
    assert len(papers) >= 100
    assert [path for path, out in papers.items() if not out] == []


def test_project_link_of_a_talk_and_own_page_of_an_article_are_their_links(page, server):
    page.goto(server + "records/diffusion-beats-autoregressive-in-data-constrained-settings/index.html")
    assert page.locator(".paper-links a").first.get_attribute("href") == "https://diffusion-scaling.github.io/"
    page.goto(server + "records/gpt4all/index.html")
    assert page.locator(".paper-links a").first.get_attribute("href") == "https://gpt4all.io/index.html"


def test_an_arxiv_url_shows_the_abstract_page_and_the_pdf(page, server):
    page.goto(server + "records/2509.15188/index.html")  # the blog note's `https://arxiv.org/pdf/2509.15188v1.pdf`
    hrefs = page.locator(".paper-links a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == ["https://arxiv.org/abs/2509.15188", "https://arxiv.org/pdf/2509.15188"]


def test_a_paper_without_a_link_gets_title_searches(page, server):
    page.goto(server + "records/improving-context-fidelity-via-native-retrieval-augmented-reasoning/index.html")
    hrefs = page.locator(".paper-search a").evaluate_all("links => links.map(a => a.href)")
    assert [re.sub(r"\?.*", "", h) for h in hrefs] == [
        "https://arxiv.org/search/", "https://scholar.google.com/scholar", "https://www.semanticscholar.org/search"]
    assert all("Improving+Context+Fidelity" in h for h in hrefs)


def test_a_record_is_in_one_link_box_at_most(facts):
    assert [path for path, f in facts["pages"].items() if len(f["boxes"]) != len(set(f["boxes"]))] == []
    assert sum(len(f["boxes"]) for f in facts["pages"].values()) > 171  # the boxes are there


def test_anyanomaly_does_not_link_to_the_zero_record(page, server):
    page.goto(server + ANYANOMALY)
    assert "AnyAnomaly" in page.locator("h1").inner_text()
    hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.href)")
    assert not [h for h in hrefs if "zero-deepspeed" in h]


def test_blog_record_shows_problem_and_limitations_once(page, server):
    page.goto(server + "records/2509.15188/index.html")
    main = page.locator("main").inner_text()
    for text in ("LDW問題とは、拡散LMがテキストを生成する際", "ネガティブサンプルの多様性 :", "評価方法の確立:"):
        assert main.count(text) == 1, text


# --- meetings ---------------------------------------------------------------------------------

MEETING = "2025-09-24 機械学習勉強会"  # note 000, line 1


def presenters_in_minutes() -> list[str]:
    """The `@presenter` lines of the minutes note, read straight from the note."""
    text = (NOTES / SEEDS["minutes"]).read_text(encoding="utf-8")
    return re.findall(r"^@\s*(.+?)\s*$", text, re.MULTILINE)


def test_meeting_page_lists_the_four_records_of_the_minutes_with_presenters(page, server):
    page.goto(server + "index.html")
    page.locator("nav.site-nav a", has_text="勉強会").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "勉強会一覧"
    page.locator("main a", has_text=MEETING).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == MEETING
    talks = page.locator("ol.meeting-program > li")
    assert talks.count() == 4
    assert talks.locator(".presenter").all_inner_texts() == presenters_in_minutes() == [
        "Shun Ito", "Takumi Iida (frkake)", "Ryoma Nakai"]
    # the minutes' メインTOPIC (note 000 line 103) is the meeting's topic, labelled as one, never a presenter
    assert talks.nth(3).locator(".topic-label").inner_text() == "メイントピック"
    assert talks.nth(3).locator(".presenter").count() == 0
    assert talks.locator(".kind").evaluate_all("k => k.map(e => e.dataset.kind)") == ["blog", "blog", "paper", "paper"]
    titles = talks.locator("a.record-title").all_inner_texts()
    assert titles == ["LoRAの進化:基礎から最新のLoRA-Proまで",
                      "Diffusion Beats Autoregressive in Data-Constrained Settings",
                      "Is the Watermarking of LLM-Generated Code Robust?",
                      "Improving Context Fidelity via Native Retrieval-Augmented Reasoning"]
    assert page.problems == []


def test_each_talk_links_to_its_meeting_and_the_note_is_titled_by_it(page, server):
    for slug in ("loraの進化-基礎から最新のlora-proまで",
                 "improving-context-fidelity-via-native-retrieval-augmented-reasoning"):
        page.goto(server + f"records/{slug}/index.html")
        link = page.locator("dd.meeting a")
        assert link.inner_text() == MEETING
        link.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == MEETING
    page.goto(server + "notes/000-7ec92ae646da1197/index.html")
    assert page.locator("h1").inner_text() == MEETING
    assert page.title().startswith(MEETING)


def test_a_talk_has_its_memo_opening_as_summary_and_a_card_is_a_link(page, server):
    page.goto(server + "records/loraの進化-基礎から最新のlora-proまで/index.html")
    summary = page.locator("section[aria-labelledby=summary] .prose").inner_text()
    assert summary == "LoRAの派生系をまとめて紹介している記事"
    card = page.locator("article.record a", has_text="LoRA+: Efficient Low Rank Adaptation of Large Models")
    assert card.get_attribute("href").startswith("https://arxiv.org/search/?searchtype=title&query=LoRA%2B")
    assert "arXiv.orgLoRA+" not in page.locator("main").inner_text()


# --- tags -------------------------------------------------------------------------------------

def test_bookkeeping_labels_stay_out_of_the_cloud_and_the_record_header(page, server):
    page.goto(server + "index.html")
    cloud = page.locator(".tag-cloud a").evaluate_all("links => links.map(a => a.firstChild.textContent)")
    assert "NLP" in cloud and not {"Pocket", "Article", "read-later", "Admin'sPick"} & set(cloud)
    page.goto(server + "tags/index.html")
    assert "Pocket" not in page.locator("#tag-list").inner_text()
    assert "Pocket" in page.locator(".filing-tags").inner_text()
    page.goto(server + "records/jet-nemotron-efficient-language-model-with-post-neural-architecture-search/index.html")
    header_tags = page.locator(".record-header dd.tags a").all_inner_texts()
    assert "NLP" in header_tags and "Pocket" not in header_tags
    assert page.locator(".provenance .filing-tags a").all_inner_texts() == ["Pocket"]

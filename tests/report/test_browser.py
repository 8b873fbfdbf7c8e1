"""Any screen: every page of the sample report on a 360 px phone and a 1366 px desktop, and
printed to A4, in headless Chromium with every request beyond the page's own file refused.

What "works" means here, measured in the browser:
- the page never scrolls sideways (``scrollWidth <= innerWidth``; html and body do not hide
  what spills);
- a table wider than the page's card sits in a scroll container no wider than the card;
- chart text renders at 9 px or more: SVG ``font-size`` times the scale of the text's screen
  transform (``getScreenCTM``), so a chart shrunk to a phone counts as what the reader sees;
- no "null", "NaN" or "None" in the text or the charts;
- printed (print media at the width of an A4 sheet, 794 px at 96 dpi, and of its printable
  area inside the page margins), nothing spills or is cut off in a scroll container,
  collapsed ``<details>`` print open, and Chromium makes an A4 PDF.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import vl_convert

from cxlib.pages import charts
from cxlib.pages.tables import table
from cxlib.report._html import _inline_svg, page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("report")]

PHONE, TABLET, DESKTOP, A4 = 360, 700, 1366, 794  # CSS px; A4 is 210 mm at 96 dpi
A4_PRINTABLE = 703  # 186 mm: A4 less the 12 mm side margins of the pages' @page rule
SMALLEST_CHART_TEXT = 9  # px, as rendered
NO_VALUE = re.compile(r"\b(?:null|NaN|None)\b")

MEASURE = """() => {
  const main = document.querySelector("main");
  const style = getComputedStyle(main), card = main.getBoundingClientRect();
  const left = card.left + parseFloat(style.paddingLeft);
  const right = card.right - parseFloat(style.paddingRight);
  const scrolls = (e) => /^(auto|scroll)$/.test(getComputedStyle(e).overflowX);
  const spilling = [];
  for (const t of main.querySelectorAll("table")) {
    const box = t.getBoundingClientRect();
    if (box.left >= left - 1 && box.right <= right + 1) continue;
    let holder = t.parentElement;
    while (holder && holder !== main && !scrolls(holder)) holder = holder.parentElement;
    const held = holder && holder !== main && holder.getBoundingClientRect().right <= right + 1;
    if (!held) spilling.push(`${Math.round(box.width)} px: ${t.innerText.slice(0, 40)}`);
  }
  let smallest = Infinity, label = "";
  for (const t of document.querySelectorAll("svg text")) {
    if (!t.textContent.trim() || !t.getClientRects().length) continue;
    const m = t.getScreenCTM();
    const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (size < smallest) { smallest = size; label = t.textContent.trim(); }
  }
  const cut = [];
  for (const e of main.querySelectorAll("*")) {
    if (!scrolls(e) || e.scrollWidth <= e.clientWidth + 1) continue;
    cut.push(`${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`);
  }
  const closed = [];
  for (const d of main.querySelectorAll("details")) {
    for (const c of d.children) {
      if (c.tagName !== "SUMMARY" && !c.checkVisibility()) closed.push(c.innerText.slice(0, 40));
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    hidden: [document.documentElement, document.body]
      .map((e) => getComputedStyle(e).overflowX)
      .filter((o) => o !== "visible"),
    spilling, smallest, label, cut, closed,
    text: document.body.innerText,
    chartText: [...document.querySelectorAll("svg text")].map((t) => t.textContent).join(" | "),
  };
}"""


class Offline:
    """A browser context of one width and media that refuses every request but file://
    and remembers what was attempted."""

    def __init__(self, browser, width: int, media: str = "screen") -> None:
        self.attempted: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route("**/*", self._refuse_network)
        self.context.on("request", self._note)
        self.page = self.context.new_page()
        self.page.emulate_media(media=media)

    def _refuse_network(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    def _note(self, request) -> None:
        if not request.url.startswith(("file:", "data:", "about:")):
            self.attempted.append(request.url)

    def measure(self, path: Path) -> dict:
        self.page.goto(path.as_uri(), wait_until="load")
        return self.page.evaluate(MEASURE)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def views(sample_report, chromium) -> dict:
    """Every page measured at phone and desktop width and in print; PDFs made; requests."""
    pages = sorted(sample_report.glob("*.html"))
    assert len(pages) > 1, f"no pages in {sample_report}"
    seen: dict = {"attempted": [], "pdf": {}}
    for width, media in (
        (PHONE, "screen"),
        (DESKTOP, "screen"),
        (A4, "print"),
        (A4_PRINTABLE, "print"),
    ):
        browser = Offline(chromium, width, media)
        try:
            seen[media, width] = {path.name: browser.measure(path) for path in pages}
            if width == A4:
                for path in pages:
                    browser.page.goto(path.as_uri(), wait_until="load")
                    seen["pdf"][path.name] = browser.page.pdf(format="A4")
        finally:
            browser.close()
        seen["attempted"] += browser.attempted
    return seen


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_page_scrolls_sideways(views, width):
    wider = {
        name: f"{seen['scrollWidth']} px wide in a {seen['innerWidth']} px window"
        for name, seen in views["screen", width].items()
        if seen["scrollWidth"] > seen["innerWidth"]
    }
    assert not wider, wider
    hiding = {
        name: seen["hidden"] for name, seen in views["screen", width].items() if seen["hidden"]
    }
    assert not hiding, f"the page must not hide what spills (overflow-x of html, body): {hiding}"


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_tables_wider_than_their_card_scroll_inside_it(views, width):
    spilling = {name: s["spilling"] for name, s in views["screen", width].items() if s["spilling"]}
    assert not spilling, f"tables spilling out of the page's card: {spilling}"


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_chart_labels_stay_readable(views, width):
    charts = {name: seen for name, seen in views["screen", width].items() if seen["chartText"]}
    assert charts, "no chart text found to measure"
    small = {
        name: f"{seen['smallest']:.1f} px: {seen['label']!r}"
        for name, seen in charts.items()
        if seen["smallest"] < SMALLEST_CHART_TEXT
    }
    assert not small, small


def test_pages_show_no_null_nan_or_none(views):
    found = {}
    for name, seen in views["screen", DESKTOP].items():
        words = sorted(set(NO_VALUE.findall(seen["text"] + " " + seen["chartText"])))
        if words:
            found[name] = words
    assert not found, f"pages showing missing values as words: {found}"


@pytest.mark.parametrize("width", [A4, A4_PRINTABLE])
def test_pages_print_to_a4_without_spilling_or_cut_content(views, width):
    printed = views["print", width]
    wider = {n: s["scrollWidth"] for n, s in printed.items() if s["scrollWidth"] > width}
    assert not wider, f"wider than {width} px in print: {wider}"
    cut = {name: seen["cut"] for name, seen in printed.items() if seen["cut"]}
    assert not cut, f"content cut off in a scroll container in print: {cut}"
    closed = {name: seen["closed"] for name, seen in printed.items() if seen["closed"]}
    assert not closed, f"<details> content missing from print: {closed}"
    assert set(views["pdf"]) == set(printed)
    for name, pdf in views["pdf"].items():
        assert pdf.startswith(b"%PDF-") and len(pdf) > 1000, name


def test_the_browser_requests_nothing_beyond_the_page(views):
    assert views["attempted"] == []


def test_the_offline_browser_refuses_and_reports_a_request(chromium, tmp_path):
    """The check above means something: a request to the network is seen and refused."""
    remote = "https://example.invalid/pixel.png"
    path = tmp_path / "remote.html"
    path.write_text(page("Remote", f'<img src="{remote}" alt="remote">'))
    browser = Offline(chromium, PHONE)
    try:
        browser.measure(path)
        loaded = browser.page.evaluate("document.querySelector('img').naturalWidth")
    finally:
        browser.close()
    assert browser.attempted == [remote]
    assert loaded == 0


# A page made here with what the sample may not have: tables (ours and a plain pandas one,
# as nbconvert shows it) and a chart far wider than a phone, a long unbroken URL, and a
# collapsed methods section.

LONG_URL = "https://example.org/" + "a-long-path-segment/" * 12


@pytest.fixture(scope="module")
def crowded_page(tmp_path_factory) -> Path:
    wide = pl.DataFrame({f"measure number {i}": [1234567.5, 2.25] for i in range(9)})
    frame = pl.DataFrame({"stage": [f"stage {i}" for i in range(12)], "customers": range(12)})
    chart = charts.bar_chart(frame, x="stage", y="customers")  # the workbench theme
    svg = vl_convert.vegalite_to_svg(chart.properties(width=700).to_dict())
    drawn = _inline_svg({"output_type": "display_data", "data": {"image/svg+xml": svg}})
    body = (
        f"<h2>A crowded page</h2><p>Read more at {LONG_URL}</p>"
        + table(wide, title="Nine measures side by side").to_html()
        + f'<div class="output_html rendered_html">{wide.to_pandas().to_html()}</div>'
        + drawn["data"]["text/html"]
        + "<details><summary>How this was computed</summary>"
        '<p id="method">The model and its cross-validation.</p></details>'
    )
    path = tmp_path_factory.mktemp("crowded") / "crowded.html"
    path.write_text(page("A crowded page with a rather long title for a phone", body))
    return path


def test_a_wide_table_and_chart_scroll_in_their_cards_on_a_phone(chromium, crowded_page):
    phone = Offline(chromium, PHONE)
    try:
        seen = phone.measure(crowded_page)
        cards = phone.page.evaluate(
            """() => [".cx-table-wrap", ".cx-chart"].map((s) => {
                 const e = document.querySelector(s);
                 return [e.scrollWidth > e.clientWidth, e.getBoundingClientRect().right];
               })"""
        )
    finally:
        phone.close()
    assert seen["scrollWidth"] <= PHONE
    assert all(scrolls and right <= PHONE for scrolls, right in cards), cards
    assert not seen["spilling"]
    assert seen["smallest"] >= SMALLEST_CHART_TEXT, (seen["smallest"], seen["label"])
    assert LONG_URL.rstrip("/") in seen["text"].replace("\n", "")
    assert phone.attempted == []


def test_a_chart_scales_with_its_card_up_to_its_drawn_width(chromium, crowded_page):
    widths = {}
    for width in (TABLET, DESKTOP):
        screen = Offline(chromium, width)
        try:
            screen.page.goto(crowded_page.as_uri())
            widths[width] = screen.page.evaluate(
                """() => {
                     const svg = document.querySelector(".cx-chart svg");
                     const box = svg.getBoundingClientRect();
                     return [box.width, svg.parentElement.clientWidth,
                             svg.viewBox.baseVal.width, box.height / box.width,
                             svg.viewBox.baseVal.height / svg.viewBox.baseVal.width];
                   }"""
            )
        finally:
            screen.close()
    shown, card, drawn, ratio, drawn_ratio = widths[TABLET]
    assert shown == pytest.approx(card, abs=1) and shown < drawn  # fills a narrower card
    assert ratio == pytest.approx(drawn_ratio, rel=0.01)  # and keeps its proportions
    shown, card, drawn, _, _ = widths[DESKTOP]
    assert shown == pytest.approx(min(card, drawn), abs=1)  # never blown up past its size


def test_print_opens_the_methods_section_and_fits_a4(chromium, crowded_page):
    printer = Offline(chromium, A4, media="print")
    try:
        seen = printer.measure(crowded_page)
        method_shown = printer.page.locator("#method").is_visible()
        pdf = printer.page.pdf(format="A4")
    finally:
        printer.close()
    assert seen["scrollWidth"] <= A4
    assert not seen["cut"], seen["cut"]
    assert method_shown and not seen["closed"]
    assert pdf.startswith(b"%PDF-")


def test_every_page_draws_its_charts_without_console_errors(sample_report, chromium):
    """Charts drawn (SVG marks), no console or page errors, the index's cards and links."""
    pages = sorted(sample_report.glob("*.html"))
    offline, problems = Offline(chromium, DESKTOP), []
    offline.page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    offline.page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        for path in pages:
            problems.clear()
            offline.page.goto(path.as_uri(), wait_until="load")
            assert not problems, (path.name, problems)
            if path.name == "index.html":
                assert offline.page.locator(".kpi").count() >= 4
                assert offline.page.locator("ul.pages > li > a").count() == len(pages) - 1
            else:
                drawn = offline.page.locator(
                    "svg .mark-rect path, svg .mark-rect, svg .mark-line path, "
                    "svg .mark-symbol path, svg .mark-area path"
                )
                assert drawn.count() > 0, f"{path.name}: no chart marks drawn"
        assert not offline.attempted
    finally:
        offline.close()

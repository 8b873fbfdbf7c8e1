"""A report in Vietnamese or Thai (``locale`` in cx.toml) has no English UI text left:
headings, prose, findings, table headers, chart titles and the page shell are translated,
while data values (touchpoints, channels, stages) are shown as written. Two notebooks run
(``--notebooks`` with a subset) to keep the test short."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cxlib.i18n._catalog import catalog
from cxlib.pages._labels import LABELS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
CX = str(Path(sys.executable).parent / "cx")
NOTEBOOKS = ("00-data-health.ipynb", "10-journey-map.ipynb")


def _visible(page: str) -> str:
    """The text a reader sees: no style, script or markup."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _english_phrases(language: str) -> list[str]:
    """Catalog msgids of two or more words, without placeholders, that the language
    writes differently: any of them on a page is English left untranslated."""
    return [
        msgid
        for msgid, text in catalog(language).items()
        if text != msgid and "{" not in msgid and re.search(r"[A-Za-z]+ [A-Za-z]+", msgid)
    ]


@pytest.fixture(scope="module", params=["vi", "th"])
def translated_report(request, tmp_path_factory) -> tuple[str, Path]:
    language = request.param
    root = tmp_path_factory.mktemp(f"report-{language}")
    data, notebooks = root / "data", root / "notebooks"
    shutil.copytree(SAMPLE, data)
    (data / "cx.toml").write_text(f'[data]\nlocale = "{language}"\n', encoding="utf-8")
    notebooks.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, notebooks / name)
    out = root / "out"
    done = subprocess.run(
        [CX, "report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return language, out


def test_every_page_says_which_language_it_is_in(translated_report):
    language, out = translated_report
    for page in sorted(out.glob("*.html")):
        assert f'<html lang="{language}">' in page.read_text(encoding="utf-8"), page.name


def test_no_english_ui_phrase_is_left_on_any_page(translated_report):
    language, out = translated_report
    phrases = _english_phrases(language)
    assert len(phrases) > 300  # the check means something
    left = {
        page.name: found
        for page in sorted(out.glob("*.html"))
        if (found := [p for p in phrases if p in _visible(page.read_text(encoding="utf-8"))])
    }
    assert left == {}


def test_table_headers_are_translated(translated_report):
    language, out = translated_report
    english = {label for label in LABELS.values() if catalog(language).get(label) != label}
    headers = {
        html.unescape(header)
        for page in out.glob("*.html")
        for header in re.findall(r"<th>(.*?)</th>", page.read_text(encoding="utf-8"))
    }
    assert headers and headers & english == set()


def test_prose_headings_and_numbers_are_in_the_language(translated_report):
    language, out = translated_report
    journey = _visible((out / "10-journey-map.html").read_text(encoding="utf-8"))
    heading = {"vi": "Bản đồ hành trình khách hàng", "th": "แผนที่เส้นทางลูกค้า"}[language]
    assert heading in journey
    if language == "vi":  # thousands with a dot: some count of customers is over 1,000
        assert re.search(r"\b\d{1,3}\.\d{3}\b", journey)

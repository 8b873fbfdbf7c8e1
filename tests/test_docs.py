"""The reference docs build with warnings as errors and load nothing from the network.

Readers may have no internet access (company laptops, servers), as for the reports: the
built site must not fetch a script, a stylesheet, a font or an image from elsewhere. Plain
hyperlinks in the text (``<a href="https://...">``) are allowed.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONCEPTS = [
    "loading",
    "funnels",
    "stall-drivers",
    "paths-retention",
    "churn",
    "voice-of-customer",
    "omnichannel-value",
    "report",
    "privacy",
]
# Tags whose attribute makes the browser fetch something by itself.
FETCHED = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(@import\s+|url\(\s*)["']?\s*(https?:)?//""", re.IGNORECASE)

pytestmark = pytest.mark.xdist_group("docs")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """`mkdocs build --strict` into a temporary folder (as `make docs` does into site/)."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


class _Fetches(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = values.get(FETCHED.get(tag, ""))
        if url and REMOTE.match(url):
            self.remote.append(f"<{tag} {FETCHED[tag]}={url}>")
        srcset = values.get("srcset") or ""
        if any(REMOTE.match(part) for part in srcset.split(",")):
            self.remote.append(f"<{tag} srcset={srcset}>")
        if CSS_REMOTE.search(values.get("style") or ""):
            self.remote.append(f"<{tag} style=...>")


def test_docs_build_strict_with_every_page(site):
    assert (site / "index.html").is_file()
    assert (site / "getting-started.html").is_file()
    for page in CONCEPTS:
        assert (site / "concepts" / f"{page}.html").is_file(), page
    reference = (site / "reference" / "journey.html").read_text()
    assert 'id="cxlib.journey.funnel.funnel"' in reference  # built from the docstrings


def test_built_site_fetches_nothing_from_the_network(site):
    remote = []
    for page in site.rglob("*.html"):
        parser = _Fetches()
        parser.feed(page.read_text(encoding="utf-8"))
        remote += [f"{page.relative_to(site)}: {found}" for found in parser.remote]
        for style in re.findall(r"<style[^>]*>(.*?)</style>", page.read_text(), flags=re.S):
            if CSS_REMOTE.search(style):
                remote.append(f"{page.relative_to(site)}: remote url() in <style>")
    for sheet in site.rglob("*.css"):
        if CSS_REMOTE.search(sheet.read_text(encoding="utf-8")):
            remote.append(f"{sheet.relative_to(site)}: remote @import or url()")
    assert not remote, "\n".join(remote)


def test_fetch_check_sees_a_cdn_script():
    parser = _Fetches()
    parser.feed(
        '<script src="https://unpkg.com/x"></script><link rel="stylesheet" '
        'href="//fonts.googleapis.com/css"><a href="https://example.org">a link</a>'
    )
    assert len(parser.remote) == 2


def test_every_concept_page_links_to_the_api_reference():
    for page in ["getting-started", *(f"concepts/{name}" for name in CONCEPTS)]:
        text = (ROOT / "docs" / f"{page}.md").read_text()
        assert re.search(r"\]\((\.\./)?reference/\w+\.md\)|\]\[cxlib\.", text), page


@pytest.mark.browser
def test_built_site_searches_from_disk_without_the_network(site, chromium):
    page = chromium.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
    try:
        page.goto((site / "index.html").as_uri())
        page.fill("input.md-search__input", "rejects ledger")
        page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    finally:
        page.close()
    assert [url for url in requests if re.match(r"^(https?|wss?)://", url)] == []
    assert errors == []

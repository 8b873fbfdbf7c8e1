"""``[themes.NAME]`` in cx.toml: read, checked, added to the built-in themes, and the lines
``discover_themes`` suggests are lines cx.toml accepts."""

from __future__ import annotations

import polars as pl
import pytest

import cxlib as cx
from cxlib import voc


def _config(tmp_path, text: str) -> cx.Config:
    (tmp_path / "cx.toml").write_text(text, encoding="utf-8")
    return cx.read_config(tmp_path)


def test_themes_in_cx_toml_are_added_to_the_built_in_ones(tmp_path):
    config = _config(
        tmp_path,
        '[themes.packaging]\nen = ["packaging", "box*"]\nvi = ["đóng gói"]\n'
        '[themes.price]\nen = ["pricey"]\n',
    )
    assert config.themes["packaging"] == {"en": ("packaging", "box*"), "vi": ("đóng gói",)}
    themes = voc.project_themes(config)
    assert set(voc.THEMES) < set(themes) and themes["price"] == {"en": ("pricey",)}
    answers = pl.DataFrame(
        {"comment": ["Nice box and packaging", "Đóng gói cẩn thận", "So pricey"]}
    )
    themed = voc.comment_themes(answers, themes=themes)
    assert themed["theme"].to_list() == ["packaging", "packaging", "price"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[themes.packaging]\nfr = ["boîte"]\n', "fr is not a language of the themes"),
        ('[themes.packaging]\nen = "box"\n', "en must be a list of keywords"),
        ("[themes.packaging]\nen = []\n", "en must be a list of keywords"),
        ('[themes]\npackaging = "box"\n', "packaging must be a table of keyword lists"),
    ],
)
def test_a_malformed_theme_names_the_table_and_the_fix(tmp_path, text, message):
    with pytest.raises(cx.DataError, match=message) as caught:
        _config(tmp_path, text)
    assert "cx.toml" in str(caught.value) and "\n" not in str(caught.value)


def test_the_lines_discovery_suggests_are_accepted_by_cx_toml(tmp_path):
    unmatched = [
        f"{opening} gift wrapping {n} with a {colour} ribbon"
        for n in range(8)
        for opening, colour in (("Asked for", "red"), ("Wanted", "gold"), ("Chose", "blue"))
    ]
    found = voc.discover_themes(pl.DataFrame({"comment": unmatched}), min_comments=5)
    assert found.height >= 1
    config = _config(tmp_path, "\n".join(found["snippet"].to_list()) + "\n")
    assert set(config.themes) and all(config.themes.values())

"""cx.toml is checked against its schema: a typo or a wrong type is a one-line error that
names the file, the key and the fix, never a setting silently ignored (issue 17, item 4)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cxlib as cx

CX = str(Path(sys.executable).parent / "cx")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[jouney]\nfunnel = []\n", r"\[jouney\] is not a section of cx.toml; did you mean"),
        ("[report]\nskipp = []\n", r"\[report\] skipp is not a setting; did you mean 'skip'"),
        ("[journey]\nfrictions = ['x']\n", r"\[journey\] frictions .*did you mean 'friction'\?"),
        ("[data]\nzzz = 1\n", r"\[data\] zzz is not a setting; the settings: touchpoints"),
        ('[stages]\norder = "abc"\n', r"\[stages\] order must be a list of names"),
        ('[stages]\nmapping = ["a", "b"]\n', r"\[stages\] mapping must be a table of names"),
        ("[journey]\nfriction = 5\n", r"\[journey\] friction must be a list of names.*not 5"),
        ("[columns]\ntouchpoints = 5\n", r"\[columns\] touchpoints must be a table of names"),
        ("[churn]\ninactivity_days = -3\n", r"\[churn\] inactivity_days must be a whole number"),
        ("[churn]\ninactivity_days = true\n", r"\[churn\] inactivity_days must be a whole number"),
        ("[channels.groups]\nonline = 'web'\n", r"\[channels\] groups must be a table of lists"),
        ("title = 'x'\n", r"\[title\] is not a section of cx.toml"),
        ('[stages]\nmodel = "7-stage"\n', r"\[stages\] unknown stage model '7-stage'"),
        ('[stages.mapping]\nvisit = "nowhere"\n', r"\[stages\] .*\['nowhere'\]"),
        ('[data]\ntimezone = "Mars/Olympus"\n', r"\[data\] timezone 'Mars/Olympus' is not a"),
    ],
)  # fmt: skip
def test_a_wrong_key_or_type_names_cx_toml_the_key_and_the_fix(tmp_path, toml, message):
    (tmp_path / "cx.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(cx.DataError, match=rf"cx\.toml: {message}"):
        cx.read_config(tmp_path)
    run = subprocess.run(
        [CX, "validate", "--config", str(tmp_path / "cx.toml")], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


def test_every_setting_cx_init_writes_is_in_the_schema(tmp_path):
    from cxlib.io._config import SCHEMA

    text = Path(cx.io.__file__).with_name("_config.py").read_text(encoding="utf-8")
    documented = text.split('"""', 2)[1]  # the module docstring lists every key
    for section, keys in SCHEMA.items():
        assert f"[{section}" in documented, section
        for key in keys:
            if key not in cx.io.KINDS or section == "data":
                assert key in documented, (section, key)

"""Names in cx.toml checked against the data: a typo is a one-line error with the fix.

A funnel step, conversion, friction touchpoint, stage-mapped touchpoint or channel group
written with a typo would otherwise give zeros in every report page; a mapped column with
a typo would fail with no hint. The CLI prints one line and exits 2.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx

CX = str(Path(sys.executable).parent / "cx")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    rows = [
        ("a", "visit", "WEB"), ("a", "add_to_cart", "WEB"), ("a", "purchase", "STORE"),
        ("b", "visit", "IOS"), ("b", "add_to_cart", "IOS"), ("c", "visit", "WEB"),
    ]  # fmt: skip
    pl.DataFrame(
        {
            "user": [r[0] for r in rows],
            "when": [start + timedelta(hours=i) for i in range(len(rows))],
            "event": [r[1] for r in rows],
            "platform": [r[2] for r in rows],
        }
    ).write_parquet(tmp_path / "events.parquet")
    return tmp_path


def _config(folder: Path, extra: str, user: str = "user") -> Path:
    path = folder / "cx.toml"
    path.write_text(
        '[data]\ntouchpoints = "events.parquet"\n'
        f'[columns.touchpoints]\ncustomer_id = "{user}"\nts = "when"\n'
        'touchpoint = "event"\nchannel = "platform"\n'
        '[channels.normalize]\nWEB = "web"\nIOS = "app"\nSTORE = "store"\n' + extra,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("extra", "key", "typo", "fix"),
    [
        ('[journey]\nfunnel = ["visit", "add_to_kart"]\n', "[journey] funnel", "add_to_kart",
         "add_to_cart"),
        ('[journey]\nconversion = "purchse"\n', "[journey] conversion", "purchse", "purchase"),
        ('[journey]\nfriction = ["vist"]\n', "[journey] friction", "vist", "visit"),
        ('[stages.mapping]\nadd_to_cat = "consideration"\n', "[stages.mapping]", "add_to_cat",
         "add_to_cart"),
        ('[channels.groups]\noffline = ["stor"]\nonline = ["web", "app"]\n', "[channels.groups]",
         "stor", "store"),
    ],
)  # fmt: skip
def test_a_typo_in_the_config_names_the_key_and_the_close_match(shop, extra, key, typo, fix):
    config = _config(shop, extra)
    with pytest.raises(cx.DataError, match=rf"cx\.toml {re.escape(key)}: .*'{typo}'.*'{fix}'"):
        cx.load(config)
    run = subprocess.run([CX, "validate", "--config", str(config)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert f"did you mean '{fix}'?" in run.stderr


def test_channel_groups_are_checked_after_normalization(shop):
    ds = cx.load(_config(shop, '[channels.groups]\noffline = ["store"]\nonline = ["web", "app"]\n'))
    assert set(ds.touchpoints.lazy().collect()["channel"]) == {"web", "app", "store"}


def test_a_configured_name_absent_from_the_data_warns_on_one_line(shop):
    config = _config(shop, '[journey]\nfriction = ["refund_requested"]\n')
    with pytest.warns(cx.MissingNameWarning, match="friction: touchpoint 'refund_requested'"):
        cx.load(config)
    run = subprocess.run([CX, "validate", "--config", str(config)], capture_output=True, text=True)
    assert run.returncode == 0
    warning = [line for line in run.stderr.splitlines() if "refund_requested" in line]
    assert warning and warning[0].startswith("warning: ")


def test_a_mapped_column_with_a_typo_suggests_the_close_column(shop):
    with pytest.raises(cx.DataError, match=r"column 'usr' .*did you mean 'user'\?"):
        cx.load(_config(shop, "", user="usr"))

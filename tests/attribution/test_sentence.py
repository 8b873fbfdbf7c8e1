"""The attribution finding names the Shapley value's first channel next to the Markov
model's, and reads as before on a table without the Shapley model."""

from __future__ import annotations

import polars as pl

from cxlib.pages import findings


def _credit(shares: dict[str, dict[str, float]]) -> pl.DataFrame:
    rows = [(c, m, s) for m, by in shares.items() for c, s in by.items()]
    return pl.DataFrame(rows, schema=["channel", "model", "share"], orient="row")


MARKOV = {"web": 0.5, "email": 0.3, "app": 0.2}
LAST = {"web": 0.7, "email": 0.0, "app": 0.3}


def test_the_sentence_says_when_shapley_and_markov_put_the_same_channel_first():
    text = str(
        findings.attribution_sentence(
            _credit({"markov": MARKOV, "last_touch": LAST, "shapley": MARKOV})
        )
    )
    assert text.endswith("puts web first (50%), as the Markov model does.")


def test_the_sentence_names_both_first_channels_when_they_differ():
    shapley = {"web": 0.3, "email": 0.45, "app": 0.25}
    text = str(
        findings.attribution_sentence(
            _credit({"markov": MARKOV, "last_touch": LAST, "shapley": shapley})
        )
    )
    assert "puts email first (45%) where the Markov model puts web first (50%)" in text


def test_without_shapley_the_sentence_is_the_markov_one_alone():
    text = str(findings.attribution_sentence(_credit({"markov": MARKOV, "last_touch": LAST})))
    assert "Shapley" not in text and text.startswith("Last touch gives the most credit to web")

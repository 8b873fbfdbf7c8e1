"""Charts of models and comparisons, re-exported by :mod:`cxlib.pages.charts`.

Churn-model diagnostics (calibration, lift, permutation importance, partial dependence),
Kaplan–Meier survival curves, survey drivers and share comparisons between groups.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from cxlib._engine import to_polars
from cxlib.pages._chart_base import COUNT, WIDTH, _interval_described, _plain

# --- churn (cxlib.churn, cxlib.churn.survival) ------------------------------------------------


def calibration_chart(
    calibration: Any, *, title: str = "Calibration: predicted vs observed churn"
) -> alt.Chart:
    """Observed churn (with its interval) against the mean predicted probability per score bin
    of a :meth:`cxlib.churn.ChurnModel.calibration` frame; the diagonal is perfect calibration."""
    data = _plain(to_polars(calibration))
    top = float(max(data["predicted"].max() or 0, data["observed_high"].max() or 0, 0.05))
    diagonal = (
        alt.Chart(pl.DataFrame({"p": [0.0, top]}))
        .mark_line(color="#999", strokeDash=[4, 4])
        .encode(x="p:Q", y="p:Q")
    )
    x = alt.X("predicted:Q", title="Predicted churn probability", axis=alt.Axis(format=".0%"))
    y = alt.Y("observed:Q", title="Observed churn rate", axis=alt.Axis(format=".0%"))
    color = alt.Color("model:N", title="Model")
    points = (
        alt.Chart(data)
        .transform_filter("isValid(datum.predicted) && isValid(datum.observed)")
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("bin:O", title="Bin"),
                alt.Tooltip("customers:Q", format=","),
                alt.Tooltip("predicted:Q", format=".1%"),
                alt.Tooltip("observed:Q", format=".1%"),
            ],
        )
    )
    bars = _interval_described(
        alt.Chart(data)
        .transform_filter("isValid(datum.predicted) && isValid(datum.observed_low)")
        .mark_rule()
        .encode(
            x=x,
            y="observed_low:Q",
            y2="observed_high:Q",
            color=color,
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("observed_low:Q", title="95% low", format=".1%"),
                alt.Tooltip("observed_high:Q", title="95% high", format=".1%"),
            ],
        ),
        "observed_low",
        "observed_high",
        ".1%",
    )
    return (diagonal + bars + points).properties(title=title, width=WIDTH)


def lift_chart(lift: Any, *, title: str = "Lift by score decile") -> alt.Chart:
    """Lift (churn rate in the decile ÷ overall) by decile, 1 = riskiest, per model; the rule
    at 1 is a random list."""
    data = _plain(to_polars(lift))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "decile:O", title="Score decile (1 = highest risk)", axis=alt.Axis(labelAngle=0)
            ),
            xOffset=alt.XOffset("model:N"),
            y=alt.Y("lift:Q", title="Lift (× overall churn rate)", axis=alt.Axis(format=".1~f")),
            color=alt.Color("model:N", title="Model"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("decile:O"),
                alt.Tooltip("churn_rate:Q", format=".1%"),
                alt.Tooltip("lift:Q", format=".2f"),
                alt.Tooltip("churners_captured:Q", title="Churners captured", format=".0%"),
            ],
        )
    )
    rule = (
        alt.Chart(pl.DataFrame({"one": [1.0]}))
        .mark_rule(color="#333", strokeDash=[4, 4])
        .encode(y="one:Q", tooltip=alt.Tooltip("one:Q", title="A random list", format=".0f"))
    )
    return (bars + rule).properties(title=title, width=WIDTH)


def importance_chart(
    importance: Any, *, top: int = 12, title: str = "What drives churn: permutation importance"
) -> alt.Chart:
    """Horizontal bars of the drop in ROC AUC when a feature is shuffled, with 95 % intervals,
    from :meth:`cxlib.churn.ChurnModel.importance`."""
    data = _plain(to_polars(importance)).sort("importance", descending=True).head(top)
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("importance:Q", title="Drop in ROC AUC when shuffled", axis=alt.Axis(format=".2~f"))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("label:N", title="Feature"),
                alt.Tooltip("importance:Q", format=".3f"),
                alt.Tooltip("importance_low:Q", title="95% low", format=".3f"),
                alt.Tooltip("importance_high:Q", title="95% high", format=".3f"),
            ],
        )
    )
    whiskers = _interval_described(
        alt.Chart(data)
        .mark_rule(color="#333")
        .encode(
            y=y,
            x="importance_low:Q",
            x2="importance_high:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Feature"),
                alt.Tooltip("importance_low:Q", title="95% low", format=".3f"),
                alt.Tooltip("importance_high:Q", title="95% high", format=".3f"),
            ],
        ),
        "importance_low",
        "importance_high",
        ".3f",
    )
    # the SVG renderer measures label text narrower than browsers draw it: leave room
    return (bars + whiskers).properties(
        title=title, width=WIDTH - 80, padding={"left": 60, "top": 5, "right": 5, "bottom": 5}
    )


def partial_dependence_chart(
    dependence: Any, *, title: str = "How the top drivers move risk"
) -> alt.VConcatChart:
    """One small line chart per feature of a partial-dependence frame: average predicted
    churn probability over the feature's values (categories as points)."""
    data = _plain(to_polars(dependence))
    charts = []
    for feature in data.get_column("feature").unique(maintain_order=True).to_list():
        part = data.filter(pl.col("feature") == feature)
        label = part.get_column("label")[0]
        categorical = (
            bool(part.get_column("categorical")[0]) if "categorical" in part.columns else False
        )
        x = (
            alt.X("value:N", title=label, sort=None)
            if categorical
            else alt.X("x:Q", title=label, axis=alt.Axis(format=COUNT))
        )
        charts.append(
            alt.Chart(part)
            .mark_line(point=True)
            .encode(
                x=x,
                y=alt.Y(
                    "churn_probability:Q", title="Churn probability", axis=alt.Axis(format=".0%")
                ),
                tooltip=[
                    alt.Tooltip("value:N", title=label),
                    alt.Tooltip("churn_probability:Q", format=".1%"),
                ],
            )
            .properties(width=WIDTH, height=160)
        )
    return alt.vconcat(*charts).properties(title=title)


def survival_chart(
    curves: Any, *, by: str | None = None, title: str = "Retention curves", x_title: str = "Days"
) -> alt.Chart:
    """Kaplan–Meier step curves with their confidence bands, from
    :func:`cxlib.churn.survival.kaplan_meier`; one colour per ``by`` segment."""
    data = _plain(to_polars(curves))
    x = alt.X("time:Q", title=x_title, axis=alt.Axis(format=COUNT))
    enc = {"color": alt.Color(f"{by}:N", title=by.replace("_", " "))} if by else {}
    band_enc = {"color": alt.Color(f"{by}:N", legend=None)} if by else {}
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.15, interpolate="step-after")
        .encode(x=x, y="ci_low:Q", y2="ci_high:Q", **band_enc)
    )
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(
                "survival:Q",
                title="Still a customer",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=False),
            ),
            tooltip=[
                *([alt.Tooltip(f"{by}:N")] if by else []),
                alt.Tooltip("time:Q", format=".0f"),
                alt.Tooltip("survival:Q", format=".1%"),
                alt.Tooltip("at_risk:Q", title="At risk", format=","),
            ],
            **enc,
        )
    )
    return (band + line).resolve_legend(color="independent").properties(title=title, width=WIDTH)


# --- voice of the customer (cxlib.voc) ---------------------------------------------------------


def drivers_chart(drivers: Any, *, title: str = "What moves the score") -> alt.Chart:
    """Horizontal bars of each attribute's share of the explained variance with bootstrap
    whiskers, coloured by direction, from :func:`cxlib.voc.drivers` /
    :func:`cxlib.voc.key_drivers`."""
    data = _plain(to_polars(drivers)).with_columns(
        pl.col("attribute").str.replace_all("_", " ").alias("label"),
        pl.col("direction")
        .replace(
            {
                "higher": "score rises with it",
                "lower": "score falls with it",
                "by level": "differs by level",
            }
        )
        .alias("effect"),
    )
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("share:Q", title="Share of the explained variance", axis=alt.Axis(format=".0%"))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=y,
            color=alt.Color("effect:N", title="Direction", legend=alt.Legend(labelLimit=0)),
            tooltip=[
                alt.Tooltip("label:N", title="Attribute"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("share_low:Q", title="95% low", format=".1%"),
                alt.Tooltip("share_high:Q", title="95% high", format=".1%"),
                alt.Tooltip("effect:N", title="Direction"),
            ],
        )
    )
    whiskers = _interval_described(
        alt.Chart(data).mark_rule(color="#333").encode(y=y, x="share_low:Q", x2="share_high:Q"),
        "share_low",
        "share_high",
        ".1%",
    )
    # padding: the browser's font may be wider than the one the SVG was measured with
    return (bars + whiskers).properties(title=title, width=WIDTH, padding={"left": 40})


def share_comparison_chart(
    frame: Any,
    *,
    category: str,
    group: str,
    value: str = "share",
    low: str | None = "share_low",
    high: str | None = "share_high",
    title: str = "",
    value_title: str = "Share",
) -> alt.Chart:
    """Horizontal bars of a share per category, side by side per group, with interval
    whiskers, in the frame's order (e.g. comment themes of stalling segments against everyone
    else, touchpoints before detractors' and promoters' answers)."""
    data = _plain(to_polars(frame))
    categories = data.get_column(category).unique(maintain_order=True).to_list()
    groups = data.get_column(group).unique(maintain_order=True).to_list()
    y = alt.Y(f"{category}:N", sort=categories, title=None, axis=alt.Axis(labelLimit=260))
    offset = alt.YOffset(f"{group}:N", sort=groups)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=".0%")),
            color=alt.Color(
                f"{group}:N",
                sort=groups,
                title=group.replace("_", " "),
                legend=alt.Legend(labelLimit=0, columns=2),
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip(f"{group}:N"),
                alt.Tooltip(f"{value}:Q", format=".1%"),
            ],
        )
    )
    if low and high:
        rule = (
            alt.Chart(data)
            .mark_rule(color="#333")
            .encode(y=y, yOffset=offset, x=f"{low}:Q", x2=f"{high}:Q")
        )
        bars = bars + _interval_described(rule, low, high, ".1%")
    return bars.properties(title=title, width=WIDTH, padding={"left": 40})

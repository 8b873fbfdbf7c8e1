"""Interactive funnel explorer for JupyterLab: try funnels by hand, see who dropped off.

Pick the steps, the window, the order, a breakdown, a period and a segment; the funnel
chart and table follow at once. Click a step's bar to see how many customers left after
it, what they did instead, and a sample of them (pseudonymized) with their path.

>>> import cxlib as cx
>>> from cxlib.pages.explore import FunnelExplorer
>>> ds = cx.load("data/sample")
>>> explorer = FunnelExplorer(ds.touchpoints, ds.customers)
>>> explorer.steps.value = ("visit", "add_to_cart", "purchase")
>>> explorer.within.value = "1d"
>>> explorer.result.equals(cx.funnel(ds.touchpoints, ["visit", "add_to_cart", "purchase"], "1d"))
True

In JupyterLab, leave ``explorer`` as the last expression of a cell (or call
``explorer.display()``). The widgets are public attributes, so code drives the explorer
as a user would: ``steps`` (ordered; ``value`` is a tuple), ``within``, ``order``, ``by``,
``period`` (a ``(first_day, last_day)`` tuple of dates, UTC, both included) and ``segment``
(one multi-select per customer attribute; nothing selected means everyone).

Design
------
* **Same numbers as** ``cx.funnel``. ``result`` is ``cx.funnel(touchpoints_in_period_and_
  segment, steps, within, order=order, by=by, customers=customers)`` (best attempt, no
  ``exclude``), for every order. It is computed by :mod:`cxlib.journey.funnel._cache`, which
  prepares the touchpoints once (sorted, encoded, ranked) and then answers a change in
  milliseconds; the tidy frame comes from ``cx.funnel``'s own summary step.
* **Updates never queue up.** Every change bumps a generation counter. Without a running
  event loop (tests, scripts) the explorer recomputes and redraws synchronously inside the
  observer. In JupyterLab (the kernel runs an asyncio loop) a change is debounced
  (``debounce`` seconds) and computed on one worker thread; a computation whose generation
  is no longer current is skipped before it starts and discarded when it ends, so a stale
  result is never drawn. ``result`` always answers for the widgets' current values.
* **Private.** The drop-off sample shows pseudonyms (:mod:`cxlib.privacy`), never raw ids;
  every text is HTML-escaped (:mod:`cxlib.pages.tables`).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import altair as alt
import ipywidgets as widgets
import polars as pl
import traitlets

from cxlib._engine import CUSTOMER, like_input, parse_duration
from cxlib._errors import DataError
from cxlib.journey import FunnelEngine, next_touchpoints
from cxlib.pages import charts, findings
from cxlib.pages.tables import table
from cxlib.privacy import escape, pseudonym

__all__ = ["Choice", "DropOff", "FunnelExplorer", "PeriodSlider", "Settings", "StepPicker"]

WINDOWS = [
    ("1 hour", "1h"),
    ("1 day", "1d"),
    ("7 days", "7d"),
    ("30 days", "30d"),
    ("no window", None),
]
ORDERS = [("sequential", "sequential"), ("strict", "strict"), ("any order", "any")]
DEFAULT_STEPS = ("visit", "product_view", "add_to_cart", "checkout", "purchase")
SAMPLE_SIZE = 10  # customers shown in the drop-off panel
TOP_NEXT = 8  # next touchpoints listed in the drop-off panel
MISSING = "(missing)"  # how a null breakdown value is shown


class StepPicker(widgets.TagsInput):
    """Ordered multi-select of touchpoints: tags in funnel order (drag to reorder).

    ``value`` is a tuple; ``options`` the touchpoints that can be picked.
    """

    value = traitlets.Tuple(help="The funnel's steps, in order").tag(sync=True)

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(self.allowed_tags)


class Choice(widgets.Dropdown):
    """A dropdown whose options may include ``None`` ("no window", "no breakdown")."""

    @traitlets.observe("value")
    def _propagate_value(self, change: dict) -> None:
        values = list(self._options_values)
        index = values.index(change["new"]) if change["new"] in values else None
        if self.index != index:
            self.index = index


class PeriodSlider(widgets.SelectionRangeSlider):
    """First and last day (UTC, both included) of the touchpoints kept.

    ``value`` is a ``(date, date)`` tuple; ISO strings and datetimes are taken as their day,
    and days outside the data as its first or last day (which keeps the same touchpoints).
    """

    @traitlets.validate("value")
    def _validate_value(self, proposal: dict) -> tuple[date, date]:
        days = self._options_values

        def day(value: Any) -> date:
            if isinstance(value, str):
                value = date.fromisoformat(value[:10])
            if isinstance(value, datetime):
                value = value.astimezone(UTC).date() if value.tzinfo else value.date()
            return min(max(value, days[0]), days[-1])

        first, last = (day(v) for v in proposal["value"])
        if first > last:
            raise traitlets.TraitError(f"period: {first} is after {last}")
        return first, last


@dataclass(frozen=True)
class Settings:
    """What the widgets say, as one hashable key."""

    steps: tuple[str, ...]
    within: str | None
    order: str
    by: str | None
    period: tuple[date, date]
    segment: tuple[tuple[str, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class DropOff:
    """Who left after a step: the drop-off panel's contents.

    ``customers`` has :func:`cxlib.dropoffs`' columns (raw ids, for code; never shown);
    ``sample`` holds pseudonyms, when they reached the step and their path around it.
    """

    step_index: int
    step: str
    group: str | None
    reached: int
    left: int
    customers: pl.DataFrame
    next_touchpoints: pl.DataFrame
    sample: pl.DataFrame


@dataclass(frozen=True)
class _Outcome:
    frame: pl.DataFrame | None
    message: str
    seconds: float


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _day(micros: int) -> date:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).date()


def _micros(day: date) -> int:
    return (
        datetime.combine(day, datetime.min.time(), UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    ) // timedelta(microseconds=1)


class FunnelExplorer:
    """Widgets to try funnels by hand on ``touchpoints`` (and ``customers`` attributes).

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB, ...; collected once to polars).
    customers : frame, optional
        Customer attributes: low-cardinality columns become breakdowns and segment filters.
    steps : sequence of str, optional
        Initial steps (those the data has); default the e-commerce steps visit ... purchase.
    within, order, by : optional
        Initial window (``"1h"``, ``"1d"``, ``"7d"``, ``"30d"`` or None), order and breakdown.
    debounce : float
        Seconds a change waits for the next one in JupyterLab; 0 computes every change
        synchronously.

    Attributes
    ----------
    steps, within, order, by, period : ipywidgets
        The controls (see the module docstring).
    segment : dict of str to ipywidgets.SelectMultiple
        One filter per customer attribute.
    chart : altair.JupyterChart
        The funnel chart; clicking a bar selects the step (selection ``"step"``).
    result : frame or None
        The funnel for the current settings (``cx.funnel``'s columns), None without steps.
    dropoff : DropOff or None
        The drop-off panel's contents after a click (:meth:`select_step`).
    widget : ipywidgets.VBox
        Everything, ready to display.
    """

    def __init__(
        self,
        touchpoints: Any,
        customers: Any = None,
        *,
        steps: Sequence[str] | None = None,
        within: str | None = "7d",
        order: str = "sequential",
        by: str | None = None,
        debounce: float = 0.05,
    ) -> None:
        self._touchpoints = touchpoints
        self._engine = FunnelEngine(touchpoints, customers)
        self._lock = threading.Lock()
        # the last 32 settings' funnels (settings are hashable)
        self._outcomes = functools.lru_cache(maxsize=32)(self._compute)
        self._generation = 0
        self._worker: ThreadPoolExecutor | None = None
        self.debounce = debounce
        self.dropoff: DropOff | None = None
        self._templates: dict[str | None, dict] = {}  # chart spec per breakdown
        self._build_widgets(steps, within, order, by)
        self._changed()

    # --------------------------------------------------------------------------- widgets

    def _build_widgets(
        self, steps: Sequence[str] | None, within: str | None, order: str, by: str | None
    ) -> None:
        engine = self._engine
        names = [n for n in engine.touchpoint.values.to_list() if n is not None]
        steps = [s for s in (DEFAULT_STEPS if steps is None else steps) if s in names]
        self.steps = StepPicker(
            value=tuple(steps),
            allowed_tags=names,
            allow_duplicates=False,
            placeholder="add a step",
            layout=widgets.Layout(width="100%"),
        )
        windows = WINDOWS if within in dict(WINDOWS).values() else [*WINDOWS, (within, within)]
        self.within = Choice(options=windows, value=within, description="Within")
        self.order = widgets.ToggleButtons(
            options=ORDERS, value=order, description="Order", style={"button_width": "90px"}
        )
        breakdowns = [(c.replace("_", " "), c) for c in engine.breakdowns]
        self.by = Choice(
            options=[("no breakdown", None), *breakdowns], value=by, description="Split by"
        )
        first, last = _day(engine.first_time), _day(engine.last_time)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.period = PeriodSlider(
            options=[(d.isoformat(), d) for d in days],
            index=(0, len(days) - 1),
            description="Period",
            layout=widgets.Layout(width="85%"),
        )
        self.segment = {}
        for column, (coded, codes) in engine.attributes.items():
            values = coded.values.to_list()[:-1] + ([None] if (codes == coded.null).any() else [])
            self.segment[column] = widgets.SelectMultiple(
                options=[(MISSING if v is None else str(v), v) for v in values],
                description=column.replace("_", " "),
                rows=min(len(values), 5),
            )
        self.status = widgets.HTML()
        alt.JupyterChart.enable_offline()  # the chart's JavaScript from vl-convert: no CDN
        self.chart = alt.JupyterChart(None, embed_options=charts.EMBED)
        self.table = widgets.HTML()
        self.panel = widgets.HTML()
        controls = [self.steps, widgets.HBox([self.within, self.by]), self.order, self.period]
        if self.segment:
            filters = widgets.HBox(list(self.segment.values()))
            controls.append(widgets.Accordion([filters], titles=("Segment",)))
        self.widget = widgets.VBox([*controls, self.status, self.chart, self.table, self.panel])
        for control in [
            self.steps,
            self.within,
            self.order,
            self.by,
            self.period,
            *self.segment.values(),
        ]:
            control.observe(self._changed, names="value")

    # --------------------------------------------------------------------------- settings

    def settings(self) -> Settings:
        """The current widget values."""
        segment = tuple((c, tuple(w.value)) for c, w in self.segment.items() if w.value)
        return Settings(
            tuple(self.steps.value),
            self.within.value,
            self.order.value,
            self.by.value,
            tuple(self.period.value),
            segment,
        )

    def _view(self, settings: Settings):  # noqa: ANN202 - an engine View
        first, last = settings.period
        engine = self._engine
        whole = first <= _day(engine.first_time) and last >= _day(engine.last_time)
        period = None if whole else (_micros(first), _micros(last + timedelta(days=1)))
        return engine.view(period, dict(settings.segment))

    def filtered_touchpoints(self) -> pl.DataFrame:
        """The touchpoints the current period and segment keep: ``result`` is
        ``cx.funnel`` of this frame (as polars)."""
        with self._lock:
            return self._engine.view_frame(self._view(self.settings()))

    @property
    def result(self) -> Any:
        """The funnel for the current settings, in the library of ``touchpoints``."""
        frame = self._outcome(self.settings()).frame
        return None if frame is None else like_input(frame, self._touchpoints)

    def _outcome(self, settings: Settings) -> _Outcome:
        """The funnel for ``settings``: cached; computed under a lock (any thread)."""
        with self._lock:
            return self._outcomes(settings)

    def _compute(self, settings: Settings) -> _Outcome:
        started = time.perf_counter()
        if not settings.steps:
            return _Outcome(
                None, "Pick the funnel's steps above (type or choose a touchpoint).", 0.0
            )
        try:
            frame = self._engine.funnel(
                self._view(settings),
                settings.steps,
                parse_duration(settings.within),
                order=settings.order,
                by=settings.by,
            )
        except DataError as error:
            return _Outcome(None, str(error), time.perf_counter() - started)
        return _Outcome(frame, "", time.perf_counter() - started)

    # --------------------------------------------------------------------------- updates

    def _changed(self, change: dict | None = None) -> None:
        self._generation += 1
        generation, loop = self._generation, _running_loop()
        if loop is None or self.debounce <= 0:
            self._show(generation, self.settings(), None)
        else:
            loop.call_later(self.debounce, self._start, loop, generation)

    def _start(self, loop: asyncio.AbstractEventLoop, generation: int) -> None:
        """After the debounce: compute on the worker unless a newer change came."""
        if generation != self._generation:
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx-explorer")
        self._worker.submit(self._work, loop, generation, self.settings())

    def _work(self, loop: asyncio.AbstractEventLoop, generation: int, settings: Settings) -> None:
        if generation != self._generation:  # superseded while waiting: skip
            return
        try:
            outcome = self._outcome(settings)
        except Exception as error:  # shown in the status line, not lost in a thread
            outcome = _Outcome(None, f"Could not compute the funnel: {error}", 0.0)
        loop.call_soon_threadsafe(self._show, generation, settings, outcome)

    def _show(self, generation: int, settings: Settings, outcome: _Outcome | None) -> None:
        """Draw ``outcome`` (computed now when None) unless a newer change came."""
        if generation != self._generation:
            return
        outcome = outcome or self._outcome(settings)
        self.dropoff, self.panel.value = None, ""
        frame = outcome.frame
        if frame is None:
            self.status.value = f'<span style="color:#b3261e">{escape(outcome.message)}</span>'
            self.chart.spec, self.table.value = None, ""
            return
        self._draw_chart(self._for_chart(frame, settings.by), settings)
        self.table.value = table(
            frame, title="Funnel steps (95% intervals; times from step 1)"
        ).to_html()
        self.status.value = escape(self._headline(frame, outcome.seconds))

    def _draw_chart(self, frame: pl.DataFrame, settings: Settings) -> None:
        """Swap the new rows and title into the chart's spec.

        altair builds (and validates) a chart once per breakdown; after that an update is a
        dict copy. The first chart also sets up the click selection, which every later spec
        keeps (same selection name and type).
        """
        template = self._templates.get(settings.by)
        if template is None:
            chart = charts.funnel_explorer_chart(frame, by=settings.by)
            if self.chart.chart is None:
                self.chart.chart = chart
                self.chart.selections.observe(self._clicked, names="step")
                template = self.chart.spec
            else:
                template = chart.to_dict()
            self._templates[settings.by] = template
        self.chart.spec = {
            **template,
            "datasets": {template["data"]["name"]: charts.funnel_explorer_data(frame).to_dicts()},
            "title": {**template["title"], "text": " → ".join(settings.steps)},
        }

    @staticmethod
    def _for_chart(frame: pl.DataFrame, by: str | None) -> pl.DataFrame:
        """Breakdown values as text, so a clicked bar names its group whatever the type."""
        if by is None:
            return frame
        return frame.with_columns(pl.col(by).cast(pl.String).fill_null(MISSING))

    @staticmethod
    def _headline(frame: pl.DataFrame, seconds: float) -> str:
        totals = (
            frame.group_by("step_index", "step").agg(pl.col("customers").sum()).sort("step_index")
        )
        if totals.height == 0:
            return "Nobody did the first step in this period and segment."
        entered, last = totals["customers"][0], totals.row(-1, named=True)
        share = f" ({last['customers'] / entered:.1%})" if entered else ""
        return (
            f"{entered:,} customers entered; {last['customers']:,}{share} reached "
            f"{last['step']}. Updated in {seconds * 1000:.0f} ms."
        )

    # --------------------------------------------------------------------------- drop-off

    def _clicked(self, change: dict) -> None:
        points = change["new"].value
        if not points:
            self.dropoff, self.panel.value = None, ""
            return
        point = points[0]
        by = self.by.value
        self.select_step(int(point["step_index"]), point.get(by) if by else None)

    def select_step(self, step_index: int, group: str | None = None) -> DropOff | None:
        """Show who left after ``step_index`` (within the breakdown ``group``, as shown in
        the chart) and return it; what a click on that bar does."""
        settings = self.settings()
        frame = self._outcome(settings).frame
        if frame is None:
            return None
        by, steps = settings.by, settings.steps
        if by is None or group is None:  # the whole funnel, all groups together
            by = group = None
        else:
            frame = self._for_chart(frame, by).filter(pl.col(by) == group)
        if not 1 <= step_index <= len(steps):
            raise DataError(f"step_index={step_index}: the funnel has steps 1 to {len(steps)}")
        totals = frame.group_by("step_index").agg(pl.col("customers").sum())
        count = dict(totals.iter_rows())  # empty when nobody entered the funnel
        reached, label = count.get(step_index, 0), steps[step_index - 1]
        if step_index == len(steps):
            self.dropoff = None
            self.panel.value = (
                f"<p><b>{escape(label)}</b> is the last step: the "
                f"{reached:,} customers who reached it converted.</p>"
            )
            return None
        with self._lock:
            view = self._view(settings)
            lost = self._engine.dropoffs(
                view,
                steps,
                parse_duration(settings.within),
                at=step_index,
                order=settings.order,
                by=by,
            )
            if by is not None:
                lost = lost.filter(pl.col(by).cast(pl.String).fill_null(MISSING) == group)
            sample = lost.sample(min(SAMPLE_SIZE, lost.height), seed=0).sort(
                "reached_at", descending=True
            )
            paths = self._engine.paths(view, sample[CUSTOMER], sample["reached_at"])
        sample = pl.DataFrame(
            {
                "customer": [pseudonym(c) for c in sample[CUSTOMER].to_list()],
                "reached_at": sample["reached_at"],
                "path": paths,
            }
        )
        self.dropoff = DropOff(
            step_index,
            label,
            group,
            reached,
            lost.height,
            lost,
            next_touchpoints(lost, top=TOP_NEXT),
            sample,
        )
        self.panel.value = self._panel_html(self.dropoff, next_step=steps[step_index])
        return self.dropoff

    @staticmethod
    def _panel_html(drop: DropOff, *, next_step: str) -> str:
        where = f" ({escape(drop.group)})" if drop.group is not None else ""
        share = f"{drop.left / drop.reached:.1%} of " if drop.reached else ""
        heading = (
            f"<h4>After step {drop.step_index}, {escape(drop.step)}{where}: "
            f"{drop.left:,} customers left ({share}{drop.reached:,} who reached it)</h4>"
        )
        use = findings.dropoff_sentence(  # what the list is for; escaped by Finding
            drop.next_touchpoints, step=drop.step, next_step=next_step, reached=drop.reached
        )._repr_html_()
        top = table(
            drop.next_touchpoints,
            title="What they did next (first touchpoint after "
            "the step; “(nothing)”: no later touchpoint)",
        ).to_html()
        sample = table(
            drop.sample,
            title="A sample of them (pseudonymized) with their path; "
            "the step they reached in [brackets]",
        ).to_html()
        return heading + use + top + sample

    # --------------------------------------------------------------------------- display

    def display(self) -> None:
        """Show the explorer in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

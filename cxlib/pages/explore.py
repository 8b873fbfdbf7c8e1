"""Interactive funnel explorer for JupyterLab: try funnels by hand, see who dropped off.

Pick the steps, the window, the order, a breakdown, a period and a segment; the funnel
chart and table follow at once, with how long those who went on took from each step to
the next (:func:`time_to_convert`). Click a step's bar to see how many customers left after
it, what they did instead, what those who stalled there had before it more often than those
who went on (:mod:`cxlib.stall`), and a sample of them (pseudonymized) with their path; export
them all as a CSV a CRM can match (:meth:`FunnelExplorer.export_drop_offs`).

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
(one multi-select per customer attribute; nothing selected means everyone). ``by`` splits
by a customer attribute or a touchpoint property (such as the channel): a touchpoint
property takes its value on the event that opened the customer's counted attempt, their
step-1 event (the smallest value among events at the same time), as in ``cx.funnel``.

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
* **Private.** The drop-off sample and export show pseudonyms (:mod:`cxlib.privacy`, keyed
  by the ``key_env`` variable: ``[privacy] pseudonym_key_env``), never raw ids; every text
  is HTML-escaped (:mod:`cxlib.pages.tables`); the CSV cannot run formulas
  (:mod:`cxlib.pages._explore_export`).
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as widgets
import polars as pl

from cxlib._engine import CUSTOMER, like_input, parse_duration
from cxlib._errors import DataError
from cxlib.journey import FunnelEngine, next_touchpoints
from cxlib.pages import charts
from cxlib.pages._explore_export import (
    DropOffExport,
    export_drop_offs,
    export_from,
    file_name,
    in_group,
    keyed,
)
from cxlib.pages._explore_panel import DropOff, drivers_for, headline, panel_html
from cxlib.pages._explore_time import (
    time_to_convert,
    time_to_convert_chart,
    timing_of,
    timing_spec,
)
from cxlib.pages._explore_widgets import Choice, PeriodSlider, StepPicker, day_of, micros_of
from cxlib.pages._stall_view import stall_sentence, stall_table
from cxlib.pages.tables import table
from cxlib.privacy import KEY_ENV, escape, pseudonym

__all__ = [
    "Choice",
    "DropOff",
    "DropOffExport",
    "FunnelExplorer",
    "PeriodSlider",
    "Settings",
    "StepPicker",
    "export_drop_offs",
    "stall_sentence",
    "stall_table",
    "time_to_convert",
]

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
class _Outcome:
    frame: pl.DataFrame | None
    message: str
    seconds: float
    timing: pl.DataFrame | None = None  # time_to_convert of the same settings


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
    export_dir : str or Path
        Folder of the drop-off CSVs the export button writes (relative: to the notebook's
        folder, the kernel's working directory).
    key_env : str
        Environment variable holding the pseudonym key (``ds.config.pseudonym_key_env``);
        unset, :mod:`cxlib.privacy`'s default applies (``CX_PSEUDONYM_KEY``, else a random
        key per process: pseudonyms no CRM can match, and the export says so).
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
    timing_chart : altair.JupyterChart
        Time from each step to the next among those who went on (:attr:`timing`).
    export_button : ipywidgets.Button
        Under the drop-off panel: writes its customers (:meth:`export_drop_offs`).
    result : frame or None
        The funnel for the current settings (``cx.funnel``'s columns), None without steps.
    timing : polars.DataFrame or None
        :func:`time_to_convert` for the current settings.
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
        export_dir: str | Path = "exports",
        key_env: str = KEY_ENV,
    ) -> None:
        self._touchpoints = touchpoints
        self.export_dir, self.key_env = Path(export_dir), key_env
        self._engine = FunnelEngine(touchpoints, customers)
        self._lock = threading.Lock()
        # the last 32 settings' funnels (settings are hashable)
        self._outcomes = functools.lru_cache(maxsize=32)(self._compute)
        self._generation = 0
        self._worker: ThreadPoolExecutor | None = None
        self.debounce = debounce
        self.dropoff: DropOff | None = None
        self._templates: dict[Any, dict] = {}  # chart spec per breakdown (and chart)
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
        # a touchpoint property (of the step-1 event) or a customer attribute; not ids, nor
        # the stage (which the step's touchpoint decides)
        breakdowns = [
            (c.replace("_", " ") + (" (step 1)" if c in engine.props else ""), c)
            for c in engine.breakdowns
            if (c != "stage" and not c.endswith("_id")) or c == by
        ]
        self.by = Choice(
            options=[("no breakdown", None), *breakdowns], value=by, description="Split by"
        )
        first, last = day_of(engine.first_time), day_of(engine.last_time)
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
        self.export_button = widgets.Button(
            description="Export these customers (CSV)",
            icon="download",
            tooltip="Pseudonymized (keyed) ids, when they reached the step, what they did next",
            layout=widgets.Layout(width="auto"),
        )
        self.export_button.on_click(lambda _: self._export_clicked())
        self.export_status = widgets.HTML()
        self.export_bar = widgets.HBox(
            [self.export_button, self.export_status], layout=widgets.Layout(display="none")
        )
        self.timing_chart = alt.JupyterChart(None, embed_options=charts.EMBED)
        self.timing_table = widgets.HTML()
        controls = [self.steps, widgets.HBox([self.within, self.by]), self.order, self.period]
        if self.segment:
            filters = widgets.HBox(list(self.segment.values()))
            controls.append(widgets.Accordion([filters], titles=("Segment",)))
        self.widget = widgets.VBox(
            [*controls, self.status, self.chart, self.table, self.panel, self.export_bar]
            + [self.timing_chart, self.timing_table]
        )
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
        whole = first <= day_of(engine.first_time) and last >= day_of(engine.last_time)
        period = None if whole else (micros_of(first), micros_of(last + timedelta(days=1)))
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

    @property
    def timing(self) -> pl.DataFrame | None:
        """:func:`time_to_convert` for the current settings (polars), None without steps."""
        return self._outcome(self.settings()).timing

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
        view, window = self._view(settings), parse_duration(settings.within)
        options = {"order": settings.order, "by": settings.by}
        try:
            frame = self._engine.funnel(view, settings.steps, window, **options)
            timing = timing_of(self._engine, view, settings.steps, window, **options)
        except DataError as error:
            return _Outcome(None, str(error), time.perf_counter() - started)
        return _Outcome(frame, "", time.perf_counter() - started, timing)

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
        self._set_dropoff(None, "")
        frame = outcome.frame
        if frame is None:
            self.status.value = f'<span style="color:#b3261e">{escape(outcome.message)}</span>'
            self.chart.spec, self.table.value = None, ""
            self.timing_chart.spec, self.timing_table.value = None, ""
            return
        self._draw_chart(self._for_chart(frame, settings.by), settings)
        self.table.value = table(
            frame, title="Funnel steps (95% intervals; times from step 1)"
        ).to_html()
        self._draw_timing(outcome.timing, settings.by)
        self.status.value = escape(headline(frame, outcome.seconds))

    def _draw_timing(self, timing: pl.DataFrame | None, by: str | None) -> None:
        """The time-to-convert boxes and table (none for a one-step funnel); the chart is
        built once per breakdown, then gets new rows and its unit (as :meth:`_draw_chart`)."""
        if timing is None or not (timing["converters"] > 0).any():
            self.timing_chart.spec, self.timing_table.value = None, ""
            return
        template = self._templates.get(("timing", by))
        if template is None:
            template = self._templates[("timing", by)] = time_to_convert_chart(
                timing, by=by
            ).to_dict()
        self.timing_chart.spec = timing_spec(template, timing, by=by)
        self.timing_table.value = table(
            timing,
            title="Time from each step to the next, among those who went on (reached: at "
            "the step; converters: of them, those who reached the next step)",
        ).to_html()

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

    # --------------------------------------------------------------------------- drop-off

    def _clicked(self, change: dict) -> None:
        points = change["new"].value
        if not points:
            self._set_dropoff(None, "")
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
            self._set_dropoff(
                None,
                f"<p><b>{escape(label)}</b> is the last step: the "
                f"{reached:,} customers who reached it converted.</p>",
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
            lost = in_group(lost, by, group)
            sample = lost.sample(min(SAMPLE_SIZE, lost.height), seed=0).sort(
                "reached_at", descending=True
            )
            paths = self._engine.paths(view, sample[CUSTOMER], sample["reached_at"])
            drivers = drivers_for(self._engine, view, steps, at=step_index,
                                  within=settings.within, order=settings.order,
                                  group=group)  # fmt: skip
        key = self._key()
        sample = pl.DataFrame(
            {
                "customer": [pseudonym(c, key=key) for c in sample[CUSTOMER].to_list()],
                "reached_at": sample["reached_at"],
                "path": paths,
            }
        )
        drop = DropOff(
            step_index,
            label,
            group,
            reached,
            lost.height,
            lost,
            next_touchpoints(lost, top=TOP_NEXT),
            sample,
            *drivers,
        )
        self._set_dropoff(drop, panel_html(drop, next_step=steps[step_index]))
        return drop

    def _set_dropoff(self, drop: DropOff | None, html: str) -> None:
        """Show ``html`` in the panel; the export button only with customers to export."""
        self.dropoff, self.panel.value = drop, html
        self.export_status.value = ""
        self.export_bar.layout.display = None if drop is not None and drop.left else "none"

    def _key(self) -> str | None:
        """The pseudonym key (None: :mod:`cxlib.privacy`'s default)."""
        return os.environ.get(self.key_env)

    # --------------------------------------------------------------------------- export

    def export_drop_offs(
        self, step_index: int, path: str | Path | None = None, group: str | None = None
    ) -> DropOffExport:
        """Write the customers who reached ``step_index`` and not the next step, under the
        current settings (within the breakdown ``group``, as shown in the chart), to
        ``path`` (default: a new file in ``export_dir``); see
        :func:`cxlib.pages.explore.export_drop_offs` for the columns."""
        settings = self.settings()
        steps = settings.steps
        if not 1 <= step_index < len(steps):
            raise DataError(
                f"step_index={step_index}: use a step from 1 to {len(steps) - 1} "
                "(the last step has no drop-off)"
            )
        by = settings.by if group is not None else None
        if path is None:
            path = self.export_dir / file_name(step_index, steps[step_index - 1], group)
        with self._lock:
            return export_from(
                self._engine,
                self._view(settings),
                steps,
                parse_duration(settings.within),
                at=step_index,
                path=path,
                order=settings.order,
                by=by,
                group=group,
                key=self._key(),
            )

    def _export_clicked(self) -> None:
        drop = self.dropoff
        if drop is None:
            return
        try:
            export = self.export_drop_offs(drop.step_index, group=drop.group)
        except DataError as error:
            self.export_status.value = f'<span style="color:#b3261e">{escape(error)}</span>'
            return
        note = (
            ""
            if keyed(self._key())
            else f" No pseudonym key is set ({escape(self.key_env)}): these pseudonyms hold"
            " for this session only, so a CRM cannot match them."
        )
        self.export_status.value = (
            f"Wrote {export.rows:,} customers to <code>{escape(export.path)}</code>.{note}"
        )

    # --------------------------------------------------------------------------- display

    def display(self) -> None:
        """Show the explorer in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

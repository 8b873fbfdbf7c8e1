"""Event arrays behind the funnel explorer: a sequential funnel in milliseconds, same numbers.

``cx.funnel`` starts from the touchpoints on every call (~0.2 s on a million rows). The
explorer asks for many funnels over the same touchpoints, so it pays once, when it is built:

* events are sorted by (customer, time, touchpoint) and every distinct (customer,
  timestamp) pair gets a *rank* that increases in that order. "The first step-k event at or
  after this one, of the same customer" becomes "the first step-k rank >= this rank", then a
  check that the rank belongs to the same customer (ties in time share a rank: in order);
* a *view* is the subset of events kept by the period and segment filters; per view and
  step (a set of touchpoints) the engine keeps the sorted ranks of the step's events and a
  "next rank of this step" table (one gather per attempt and step), in bounded caches.

The funnel itself is the greedy chain of the portable engine (``_portable``): every distinct
step-1 rank is an attempt, each later step is its earliest event at or after the previous
one, within the window of step 1; a customer's counted attempt is the earliest one reaching
their furthest step. Sequential chains and the choice of the counted attempt are the
kernel's functions (``_kernel``, also run by the one-shot fast path), over ranks instead of
event positions. The tidy frame is made by ``_funnel.summarize`` itself, so it equals
``cx.funnel`` on the same events (tests and the benchmark check).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from cxlib._engine import CUSTOMER, NEVER, lazy, report_missing, require, to_polars, with_micros
from cxlib._errors import DataError
from cxlib.journey.funnel._funnel import normalize_steps, summarize
from cxlib.journey.funnel._kernel import first_at_group_max, follow_chains, next_marked

MAX_GROUPS = 50  # a column with more distinct values is neither a breakdown nor a segment
CACHE_BYTES = 256 * 2**20  # memory for "next rank" tables, per explorer
PATH_BEFORE, PATH_AFTER = 3, 5  # touchpoints shown around a drop-off


def groupable(dtype: pl.DataType) -> bool:
    """Column types whose minimum follows their sort order (breakdowns, segments)."""
    return dtype in (pl.String, pl.Boolean) or dtype.is_integer() or dtype.is_temporal()


@dataclass(frozen=True)
class Coded:
    """A column as int32 codes into its sorted distinct values; the last code is null."""

    values: pl.Series

    @staticmethod
    def of(column: pl.Series) -> tuple[Coded, pl.Series]:
        distinct = column.drop_nulls().unique().sort()
        missing = pl.Series([None], dtype=column.dtype)
        codes = (column.rank("dense").fill_null(distinct.len() + 1) - 1).cast(pl.Int32)
        return Coded(pl.concat([distinct, missing])), codes

    @property
    def null(self) -> int:
        return self.values.len() - 1

    def decode(self, codes: np.ndarray, name: str) -> pl.Series:
        return self.values.gather(codes).alias(name)

    def codes_of(self, wanted: Collection[Any]) -> np.ndarray:
        return np.array([i for i, v in enumerate(self.values.to_list()) if v in wanted], np.int32)


@dataclass
class View:
    """The events kept by a period and segment filter (``mask`` None: all of them)."""

    key: Hashable
    mask: np.ndarray | None
    events: np.ndarray  # indices of kept events, in sorted order
    ranks: np.ndarray  # their ranks
    frame: pl.DataFrame | None = field(default=None, repr=False)  # for cx.* (made on demand)

    @property
    def distinct(self) -> np.ndarray:
        """The distinct ranks of the view (its distinct (customer, timestamp) pairs)."""
        if "_distinct" not in self.__dict__:
            keep = np.r_[True, self.ranks[1:] != self.ranks[:-1]] if self.ranks.size else []
            self.__dict__["_distinct"] = self.ranks[keep]
        return self.__dict__["_distinct"]


@dataclass(frozen=True)
class Counted:
    """The counted attempt of every customer in the funnel (sorted by customer code)."""

    customers: np.ndarray  # customer codes
    furthest: np.ndarray  # furthest step reached (1-based)
    ranks: np.ndarray  # (steps, customers): rank at which each step is reached, -1: not
    start: np.ndarray  # rank opening the attempt's window
    attempt: np.ndarray  # index of the attempt among the view's ranks of ``source``
    source: tuple[int, ...]  # touchpoint codes whose events open attempts


class _Lru(OrderedDict):
    """A dict that forgets its oldest entries past ``size`` (and ``max_bytes`` of arrays)."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        super().__init__()
        self.size, self.max_bytes = size, max_bytes

    def get_or(self, key: Hashable, make: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        limit = self.size
        if self.max_bytes is not None and isinstance(value, np.ndarray) and value.nbytes:
            limit = min(limit, max(4, self.max_bytes // value.nbytes))
        while len(self) > limit:
            self.popitem(last=False)
        return value


class FunnelEngine:
    """Touchpoints prepared once for many funnels; see the module docstring."""

    def __init__(self, touchpoints: Any, customers: Any = None) -> None:
        events = with_micros(touchpoints)
        require(events, [CUSTOMER, "ts", "touchpoint"])
        schema = events.collect_schema()
        base = [CUSTOMER, "ts", "touchpoint", "__t"]
        extra = [
            c
            for c, dtype in schema.items()
            if c not in base
            and (
                c == "channel"
                or dtype.is_numeric()
                or dtype.is_temporal()
                or dtype in (nw.String, nw.Boolean)
            )
        ]
        frame = to_polars(events.select(*base, *extra))
        if frame.height == 0:
            raise DataError("touchpoints: no rows to explore; load some events first")
        self._touchpoint_columns = set(schema.names())
        self.props = [
            c for c in extra if groupable(frame.schema[c]) and frame[c].n_unique() <= MAX_GROUPS
        ]
        self.columns = [CUSTOMER, "ts", "touchpoint", *extra]
        self.customer, customer_codes = Coded.of(frame[CUSTOMER])
        self.touchpoint, touchpoint_codes = Coded.of(frame["touchpoint"])
        frame = frame.with_columns(__c=customer_codes, __p=touchpoint_codes).sort(
            "__c", "__t", "__p"
        )
        self._frame = frame
        self._c = frame["__c"].to_numpy()
        self._t = frame["__t"].to_numpy()
        self._p = frame["__p"].to_numpy()
        self.first_time, self.last_time = int(self._t.min()), int(self._t.max())
        self._coded = {}  # touchpoint properties, aligned with the sorted events
        for column in dict.fromkeys([*self.props, *(["channel"] if "channel" in extra else [])]):
            coded, codes = Coded.of(frame[column])
            self._coded[column] = (coded, codes.to_numpy())
        rank_type = np.int32 if frame.height < 2**31 - 2 else np.int64
        new = np.ones(frame.height, bool)
        new[1:] = (self._c[1:] != self._c[:-1]) | (self._t[1:] != self._t[:-1])
        self._rank = (np.cumsum(new) - 1).astype(rank_type)
        self._ranks = int(self._rank[-1]) + 1
        # Per rank its customer and time, with a sentinel at index G (= -1): "no such rank".
        self._rank_c = np.append(self._c[new], -1)
        self._rank_t = np.append(self._t[new], NEVER)
        # Per customer code, its last rank: a later rank belongs to someone else.
        codes = np.arange(self.customer.values.len())
        self._customer_last = np.searchsorted(self._rank_c[:-1], codes, side="right") - 1
        order = np.argsort(self._p, kind="stable")
        bounds = np.searchsorted(self._p[order], np.arange(self.touchpoint.values.len() + 1))
        self._by_touchpoint = [order[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        self._code_of = {v: i for i, v in enumerate(self.touchpoint.values.to_list()[:-1])}
        self.attributes: dict[str, tuple[Coded, np.ndarray]] = {}
        self.customers = None
        if customers is not None:
            self._attach_customers(customers)
        self._views = _Lru(4)
        self._steps = _Lru(64)
        self._next = _Lru(64, CACHE_BYTES)
        self._props = _Lru(16)
        self._counted = _Lru(16)

    def _attach_customers(self, customers: Any) -> None:
        """Low-cardinality customer attributes, as codes per customer code."""
        require(lazy(customers), [CUSTOMER], what="customers")
        table = self.customers = to_polars(lazy(customers))
        ids = pl.DataFrame({CUSTOMER: self.customer.values}).with_row_index("__c")
        one = table.unique(subset=[CUSTOMER], keep="first", maintain_order=True)
        joined = ids.join(one, on=CUSTOMER, how="left").sort("__c")
        for column, dtype in table.schema.items():
            if column != CUSTOMER and groupable(dtype) and (table[column].n_unique() <= MAX_GROUPS):
                coded, codes = Coded.of(joined[column])
                self.attributes[column] = (coded, codes.to_numpy())

    @property
    def breakdowns(self) -> list[str]:
        """Columns ``by`` can take: touchpoint properties, then customer attributes."""
        return [*self.props, *(a for a in self.attributes if a not in self._touchpoint_columns)]

    # ----------------------------------------------------------------------------- views

    def view(
        self,
        period: tuple[int, int] | None = None,
        segment: Mapping[str, Collection[Any]] | None = None,
    ) -> View:
        """The events in ``[period[0], period[1])`` (µs) of customers in ``segment``."""
        wanted = tuple(sorted((c, frozenset(v)) for c, v in (segment or {}).items() if v))
        return self._views.get_or((period, wanted), lambda: self._make_view(period, wanted))

    def _make_view(self, period: tuple[int, int] | None, wanted: tuple) -> View:
        mask = None
        if period is not None:
            mask = (self._t >= period[0]) & (self._t < period[1])
        if wanted:
            keep = np.ones(self.customer.values.len(), bool)  # per customer code
            for column, values in wanted:
                if column not in self.attributes:
                    raise DataError(
                        f"segment {column!r} is not a customer attribute; use one "
                        f"of {sorted(self.attributes)}"
                    )
                coded, codes = self.attributes[column]
                keep &= np.isin(codes, coded.codes_of(values))
            mask = keep[self._c] if mask is None else mask & keep[self._c]
        events = np.arange(self._c.size) if mask is None else np.flatnonzero(mask)
        return View((period, wanted), mask, events, self._rank[events])

    def view_frame(self, view: View) -> pl.DataFrame:
        """The view's touchpoints as a polars frame, for ``cx.*`` calls."""
        if view.frame is None:
            frame = self._frame.select(self.columns)
            view.frame = frame if view.mask is None else frame.filter(view.mask)
        return view.frame

    # ----------------------------------------------------------------------------- steps

    def _members(self, step: frozenset[str]) -> tuple[int, ...]:
        unknown = sorted(m for m in step if m not in self._code_of)
        if unknown:  # a misspelt step would count zero customers without a word
            report_missing(
                unknown,
                self._code_of,
                argument="steps",
                where="touchpoint {!r} does not occur in these touchpoints",
            )
        return tuple(sorted(self._code_of[m] for m in step if m in self._code_of))

    def _step_events(self, view: View, members: tuple[int, ...]) -> np.ndarray:
        """Sorted indices of the view's events of a step."""

        def make() -> np.ndarray:
            parts = [self._by_touchpoint[m] for m in members]
            if view.mask is not None:
                parts = [p[view.mask[p]] for p in parts]
            if len(parts) == 1:
                return parts[0]
            marked = np.zeros(self._c.size, bool)  # a union of sorted parts, in O(events)
            for part in parts:
                marked[part] = True
            return np.flatnonzero(marked)

        return self._steps.get_or(("events", view.key, members), make)

    def _step_ranks(self, view: View, members: tuple[int, ...]) -> np.ndarray:
        """Sorted distinct ranks of the view's events of a step."""

        def make() -> np.ndarray:
            ranks = self._rank[self._step_events(view, members)]
            return ranks[np.r_[True, ranks[1:] != ranks[:-1]]] if ranks.size else ranks

        return self._steps.get_or(("ranks", view.key, members), make)

    def _next_rank(self, view: View, members: tuple[int, ...]) -> np.ndarray:
        """For every rank g: the first rank >= g with an event of the step (G when none)."""

        def make() -> np.ndarray:
            return next_marked(self._step_ranks(view, members), self._ranks + 1, self._ranks)

        return self._next.get_or((view.key, members), make)

    def count(
        self, view: View, steps: Sequence[Any], window: int | None, order: str = "sequential"
    ) -> Counted:
        """Counted attempts of a funnel (cached per view, steps, window and order)."""
        if order not in ("sequential", "strict", "any"):
            raise DataError(f"order={order!r}; use 'sequential', 'strict' or 'any'")
        sets, _ = normalize_steps(steps)
        members = tuple(self._members(s) for s in sets)
        key = (view.key, members, window, order)
        return self._counted.get_or(key, lambda: self._count(view, members, window, order))

    def step_times(self, counted: Counted) -> np.ndarray:
        """When each counted customer did each step (µs), ``[step, customer]``, from
        :meth:`count`'s ranks; a step not reached holds a sentinel (check ``furthest``)."""
        return self._rank_t[counted.ranks]

    def _count(
        self, view: View, members: tuple[tuple[int, ...], ...], window: int | None, order: str
    ) -> Counted:
        # Attempts: step-1 ranks; for "any", every rank with a funnel event opens a window.
        source = tuple(sorted(sum(members, ()))) if order == "any" else members[0]
        attempts = self._step_ranks(view, source)
        reached = np.full((len(members), attempts.size), -1, self._rank.dtype)
        follow = {"sequential": self._sequential, "strict": self._strict, "any": self._any}
        follow[order](view, members, window, attempts, reached)
        furthest = (reached >= 0).sum(axis=0, dtype=np.int32)
        entered = np.flatnonzero(furthest > 0)
        owner = self._rank_c[attempts[entered]]
        best = entered[:0]
        if entered.size:  # per customer (attempts are sorted): earliest at the furthest step
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            best = entered[first_at_group_max(furthest[entered], starts)]
        return Counted(
            self._rank_c[attempts[best]],
            furthest[best],
            reached[:, best],
            attempts[best],
            best,
            source,
        )

    def _sequential(
        self,
        view: View,
        members: tuple,
        window: int | None,
        attempts: np.ndarray,
        reached: np.ndarray,
    ) -> None:
        """Greedy chain: each step is its earliest event at or after the previous step."""
        tables = [self._next_rank(view, m) for m in members[1:]]
        _, ranks = follow_chains(self._rank_c, self._rank_t, tables, attempts, window, steps=True)
        reached[:] = ranks
        reached[reached == self._ranks] = -1  # the sentinel rank: not reached

    def _strict(
        self,
        view: View,
        members: tuple,
        window: int | None,
        attempts: np.ndarray,
        reached: np.ndarray,
    ) -> None:
        """Step k at the d-th distinct timestamp after the start, each step advancing by at
        most one timestamp (nothing strictly between two steps; ties are not between)."""
        last, start = self._customer_last[self._rank_c[attempts]], self._rank_t[attempts]
        distinct = view.distinct
        base, top = np.searchsorted(distinct, attempts), distinct.size - 1
        reached[0] = attempts
        alive, previous = np.arange(attempts.size), {0: np.ones(attempts.size, bool)}
        for k in range(1, len(members)):
            table, none = self._next_rank(view, members[k]), np.zeros(alive.size, bool)
            at, limit, opened = base[alive], last[alive], start[alive]
            here, first = {}, np.full(alive.size, -1, reached.dtype)
            for d in range(k, -1, -1):  # the earliest d wins
                which = np.flatnonzero(previous.get(d, none) | previous.get(d - 1, none))
                index = at[which] + d
                rank = distinct[np.minimum(index, top)]
                ok = (index <= top) & (rank <= limit[which]) & (table[rank] == rank)
                if d > 0 and window is not None:
                    ok &= (self._rank_t[rank] - opened[which]) <= window
                here[d] = none.copy()
                here[d][which[ok]] = True
                first[which[ok]] = rank[ok]
            keep = first >= 0  # attempts that reach no step k are done
            alive, first = alive[keep], first[keep]
            reached[k, alive] = first
            previous = {d: h[keep] for d, h in here.items()}

    def _any(
        self,
        view: View,
        members: tuple,
        window: int | None,
        attempts: np.ndarray,
        reached: np.ndarray,
    ) -> None:
        """Steps 1..k all done, in any order, within the window opened by the attempt."""
        last, start = self._customer_last[self._rank_c[attempts]], self._rank_t[attempts]
        alive, done = np.arange(attempts.size), np.full(attempts.size, -1, reached.dtype)
        for k in range(len(members)):
            done = np.maximum(done, self._next_rank(view, members[k])[attempts[alive]])
            ok = done <= last[alive]  # every step so far, by this customer
            if window is not None:
                ok &= (self._rank_t[done] - start[alive]) <= window
            alive, done = alive[ok], done[ok]
            reached[k, alive] = done

    # ----------------------------------------------------------------------------- frames

    def by_values(self, view: View, counted: Counted, by: str) -> pl.Series:
        """``by`` of each counted attempt: the property of its opening event (the smallest
        among tied ones), or the customer's attribute."""
        if by in self.props:
            coded, codes = self._coded[by]

            def make() -> np.ndarray:
                events = self._step_events(view, counted.source)
                if not events.size:
                    return np.empty(0, np.int32)
                ranks = self._rank[events]
                starts = np.flatnonzero(np.r_[True, ranks[1:] != ranks[:-1]])
                return np.minimum.reduceat(codes[events], starts)

            per_attempt = self._props.get_or((view.key, counted.source, by), make)
            return coded.decode(per_attempt[counted.attempt], by)
        if by in self.breakdowns:
            coded, codes = self.attributes[by]
            return coded.decode(codes[counted.customers], by)
        raise DataError(f"by={by!r} is not a breakdown here; use one of {self.breakdowns}")

    def funnel(
        self,
        view: View,
        steps: Sequence[Any],
        window: int | None,
        *,
        order: str = "sequential",
        by: str | None = None,
        confidence: float = 0.95,
    ) -> pl.DataFrame:
        """``cx.funnel`` of the view's events (best attempt), as a polars frame."""
        _, labels = normalize_steps(steps)
        counted = self.count(view, steps, window, order)
        columns = {"__a": self._rank_t[counted.start], "__K": counted.furthest}
        for k in range(len(labels)):
            columns[f"__t{k + 1}"] = self._rank_t[counted.ranks[k]]  # -1 -> sentinel
        best = (
            pl.DataFrame(columns)
            .lazy()
            .with_columns(
                pl.when(pl.col("__K") >= k).then(pl.col(f"__t{k}")).alias(f"__t{k}")
                for k in range(1, len(labels) + 1)
            )
        )
        if by is not None:
            best = best.with_columns(self.by_values(view, counted, by))
        return summarize(nw.from_native(best), labels, [by] if by else [], confidence=confidence)

    def dropoffs(
        self,
        view: View,
        steps: Sequence[Any],
        window: int | None,
        *,
        at: int,
        order: str = "sequential",
        by: str | None = None,
    ) -> pl.DataFrame:
        """``cx.dropoffs`` of the view's events, as a polars frame."""
        counted = self.count(view, steps, window, order)
        lost = np.flatnonzero(counted.furthest == at)
        owner, reached = counted.customers[lost], counted.ranks[at - 1, lost]
        # the view's first event after the drop-off rank, if it is the same customer's
        position = np.searchsorted(view.ranks, reached, side="right")
        inside = np.minimum(position, view.ranks.size - 1)  # lost customers: the view has events
        event = view.events[inside]
        ok = (position < view.ranks.size) & (self._c[event] == owner)
        following = np.where(ok, view.ranks[inside], -1)
        touchpoint = np.where(ok, self._p[event], self.touchpoint.null)
        columns = [self.customer.decode(owner, CUSTOMER)]
        if by is not None:
            columns.append(self.by_values(view, counted, by).gather(lost))
        columns += [
            pl.Series("__r", self._rank_t[reached]),
            self.touchpoint.decode(touchpoint, "next_touchpoint"),
            self._next_channel(view, position, following, ok),
            pl.Series("__next", self._rank_t[following]).set(pl.Series(~ok), None),
        ]
        as_time = lambda c: pl.from_epoch(pl.col(c), time_unit="us").dt.replace_time_zone("UTC")  # noqa: E731
        return (
            pl.DataFrame(columns)
            .select(
                CUSTOMER,
                *([by] if by else []),
                as_time("__r").alias("reached_at"),
                "next_touchpoint",
                "next_channel",
                as_time("__next").alias("next_at"),
            )
            .sort(CUSTOMER)
        )

    def _next_channel(
        self, view: View, position: np.ndarray, following: np.ndarray, ok: np.ndarray
    ) -> pl.Series:
        """The smallest channel among the view's events at each ``following`` rank."""
        if "channel" not in self._coded:
            return pl.Series("next_channel", [None] * position.size, dtype=pl.String)
        coded, codes = self._coded["channel"]
        if not ok.any():
            return coded.decode(np.full(position.size, coded.null, np.int32), "next_channel")
        end = np.searchsorted(view.ranks, following, side="right")
        values = np.append(codes[view.events], coded.null)
        bounds = np.column_stack([np.where(ok, position, 0), np.where(ok, end, 1)]).ravel()
        smallest = np.minimum.reduceat(values, bounds)[::2]
        return coded.decode(np.where(ok, smallest, coded.null), "next_channel")

    def paths(self, view: View, customers: pl.Series, reached: pl.Series) -> list[str]:
        """Each customer's touchpoints around ``reached`` (the drop-off step in brackets)."""
        codes = self.customer.values[:-1].search_sorted(customers)
        micros = reached.dt.epoch("us").to_numpy()
        names = self.touchpoint.values.to_list()
        rank_c, rank_t = self._rank_c[:-1], self._rank_t[:-1]
        out = []
        for code, when in zip(codes.to_list(), micros, strict=True):  # a handful of rows
            lo, hi = np.searchsorted(rank_c, [code, code + 1])
            rank = lo + np.searchsorted(rank_t[lo:hi], when)
            first, last = np.searchsorted(view.ranks, [lo, hi])
            at_lo, at_hi = np.searchsorted(view.ranks, [rank, rank + 1])
            shown = range(max(first, at_lo - PATH_BEFORE), min(last, at_hi + PATH_AFTER))
            words = [str(names[self._p[view.events[i]]]) for i in shown]
            words = [
                f"[{w}]" if at_lo <= i < at_hi else w for i, w in zip(shown, words, strict=True)
            ]
            out.append(" → ".join(words))
        return out

"""The funnel explorer's own controls: ordered steps, dropdowns with a None option, and a
period slider that takes days, ISO strings or datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import ipywidgets as widgets
import traitlets

__all__ = ["Choice", "PeriodSlider", "StepPicker"]


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


def day_of(micros: int) -> date:
    """The UTC day of a time in epoch microseconds."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).date()


def micros_of(day: date) -> int:
    """The start of a UTC day in epoch microseconds."""
    return (
        datetime.combine(day, datetime.min.time(), UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    ) // timedelta(microseconds=1)

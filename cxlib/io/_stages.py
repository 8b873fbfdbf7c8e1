"""Journey stage models: ordered stages and the touchpoint -> stage mapping.

Stages are configuration, not code. Three presets come from the customer-journey
literature the project started from; ``cx.toml`` may override the mapping or define its
own stages::

    [stages]
    model = "5-stage"                  # or "4-stage", "6-stage", or "custom"
    order = ["discover", "buy", "love"]  # only for model = "custom"
    [stages.mapping]                   # touchpoint = stage; overrides the preset's entry
    webinar = "consideration"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from cxlib._engine import is_eager
from cxlib._errors import DataError
from cxlib.io._codes import few_distinct
from cxlib.io._synonyms import ROLE_STAGES, role_of

# The sample's touchpoints, grouped by the stage they belong to in each preset.
_AWARENESS = ("ad_impression", "social_view", "email_open")
_ACQUISITION = ("ad_click", "visit")
_BROWSING = ("product_view", "add_to_cart")
_BUYING = ("checkout", "payment_failed", "purchase")
_AFTERCARE = ("delivery", "late_delivery", "support_contact", "support_unresolved")
_ADVOCACY = ("review", "referral")


def _mapping(groups: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return {tp: stage for stage, tps in groups.items() for tp in tps}


PRESETS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    # e-commerce, the default
    "5-stage": (
        ("awareness", "consideration", "conversion", "retention", "advocacy"),
        _mapping(
            {
                "awareness": _AWARENESS + ("ad_click",),
                "consideration": ("visit",) + _BROWSING,
                "conversion": _BUYING,
                "retention": _AFTERCARE,
                "advocacy": _ADVOCACY,
            }
        ),
    ),
    # lifecycle marketing
    "6-stage": (
        ("awareness", "acquisition", "onboarding", "engagement", "retention", "advocacy"),
        _mapping(
            {
                "awareness": _AWARENESS,
                "acquisition": _ACQUISITION,
                "onboarding": _BROWSING,
                "engagement": _BUYING,
                "retention": _AFTERCARE,
                "advocacy": _ADVOCACY,
            }
        ),
    ),
    # digital journey
    "4-stage": (
        ("awareness", "engagement", "transaction", "retention"),
        _mapping(
            {
                "awareness": _AWARENESS + ("ad_click",),
                "engagement": ("visit",) + _BROWSING,
                "transaction": _BUYING + ("delivery", "late_delivery"),
                "retention": ("support_contact", "support_unresolved") + _ADVOCACY,
            }
        ),
    ),
}
DEFAULT_MODEL = "5-stage"


@dataclass(frozen=True)
class StageModel:
    """An ordered list of journey stages and the stage each touchpoint belongs to.

    Parameters
    ----------
    name : str
        Preset name (``"5-stage"``) or a name of your own.
    stages : tuple of str
        Stages in journey order.
    mapping : dict
        ``touchpoint -> stage``; a touchpoint belongs to at most one stage. Touchpoints
        missing from the mapping are placed by what their names say (preset models), else
        get a null stage (data health reports them).

    Examples
    --------
    >>> import cxlib as cx
    >>> model = cx.stage_model("5-stage")
    >>> model.stages[0], model.stage_of("purchase")
    ('awareness', 'conversion')
    """

    name: str
    stages: tuple[str, ...]
    mapping: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.stages)) != len(self.stages):
            raise DataError(
                f"stage model '{self.name}': stages repeat in {list(self.stages)}; "
                "list each stage once"
            )
        unknown = sorted({s for s in self.mapping.values() if s not in self.stages})
        if unknown:
            raise DataError(
                f"stage model '{self.name}': mapping uses stages {unknown} that are not in "
                f"its order {list(self.stages)}; add them to [stages] order or fix the mapping"
            )

    def stage_of(self, touchpoint: str) -> str | None:
        """The stage a touchpoint belongs to, or None when unmapped."""
        return self.mapping.get(touchpoint)

    def index_of(self, stage: str) -> int:
        """0-based position of a stage in the journey."""
        try:
            return self.stages.index(stage)
        except ValueError:
            raise DataError(
                f"stage '{stage}' is not in the '{self.name}' model; use one of {list(self.stages)}"
            ) from None

    def next_stage(self, stage: str) -> str | None:
        """The stage after ``stage``, or None for the last one."""
        i = self.index_of(stage)
        return self.stages[i + 1] if i + 1 < len(self.stages) else None

    def assign(self, touchpoints: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
        """Return touchpoints with a ``stage`` column from this model.

        A non-null ``stage`` already in the data wins: it records what the source system knew.
        A DataFrame whose touchpoints repeat a few names is staged once per name
        (:func:`cxlib.io._codes.few_distinct`), then the stages are gathered row by row.
        """
        names = touchpoints.collect_schema().names()
        found = None
        if is_eager(touchpoints) and "touchpoint" in names:
            column = touchpoints.get_column("touchpoint")
            found = few_distinct(column) if column.dtype == pl.String else None
        if found is not None:
            return self._assign_codes(touchpoints, *found)
        unique = None
        if "touchpoint" in names and self.name in ROLE_STAGES:
            unique = touchpoints.lazy().select(pl.col("touchpoint").unique()).collect()
        mapping = {**self._by_role(None if unique is None else unique.to_series()), **self.mapping}
        mapped = pl.col("touchpoint").replace_strict(mapping, default=None, return_dtype=pl.String)
        stage = pl.coalesce(pl.col("stage"), mapped) if "stage" in names else mapped
        return touchpoints.with_columns(stage.alias("stage"))

    def _assign_codes(
        self, touchpoints: pl.DataFrame, distinct: pl.Series, codes: pl.Series
    ) -> pl.DataFrame:
        """:meth:`assign` for a frame whose touchpoints are ``distinct.gather(codes)``
        (:func:`cxlib.io._codes.few_distinct`): each name is staged once, then the stages
        are gathered row by row."""
        names = distinct.cast(pl.String)
        mapping = {**self._by_role(names), **self.mapping}
        stages = names.replace_strict(mapping, default=None, return_dtype=pl.String).gather(codes)
        column = touchpoints.get_column("touchpoint")
        if column.n_chunks() > 1:  # in the frame's chunks: no copy of the other columns
            stages = _chunked_like(stages, column.chunk_lengths())
        mapped = pl.lit(stages.alias("stage"))
        if "stage" in touchpoints.columns:
            mapped = pl.coalesce(pl.col("stage"), mapped)
        return touchpoints.with_columns(mapped.alias("stage"))

    def _by_role(self, touchpoints: pl.Series | None) -> dict[str, str]:
        """Touchpoint names (``touchpoints``: each once) the mapping does not name, placed
        by what their names say (as ``cx init`` does: ``page_view`` is a visit, ``Order
        Completed`` buying, ...), for the preset models; the mapping always wins."""
        roles = ROLE_STAGES.get(self.name)
        if roles is None or touchpoints is None:
            return {}
        found = {}
        for name in touchpoints.drop_nulls().cast(pl.String).to_list():
            stage = roles.get(role_of(name) or "")
            if name not in self.mapping and stage in self.stages:
                found[name] = stage
        return found

    def to_frame(self) -> pl.DataFrame:
        """The mapping as a tidy frame: stage_index (1-based), stage, touchpoint."""
        rows = [(self.index_of(s) + 1, s, tp) for tp, s in self.mapping.items()]
        return pl.DataFrame(
            rows,
            schema={"stage_index": pl.Int32, "stage": pl.String, "touchpoint": pl.String},
            orient="row",
        ).sort("stage_index", "touchpoint")


def _chunked_like(values: pl.Series, lengths: list[int]) -> pl.Series:
    """``values`` cut into chunks of ``lengths`` (slices, not copies): a column added to a
    frame whose chunks differ from its own makes polars copy every column into one chunk."""
    starts = [0]
    for length in lengths[:-1]:
        starts.append(starts[-1] + length)
    parts = [values.slice(start, length) for start, length in zip(starts, lengths, strict=True)]
    return pl.concat(parts, rechunk=False)


def stage_model(
    name: str = DEFAULT_MODEL,
    *,
    stages: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> StageModel:
    """Build a stage model from a preset, optionally overriding stages and mapping.

    Parameters
    ----------
    name : str
        ``"4-stage"``, ``"5-stage"`` (default), ``"6-stage"`` or ``"custom"``.
    stages : sequence of str, optional
        Stage order; required for ``"custom"``, replaces the preset's order otherwise.
    mapping : mapping, optional
        ``touchpoint -> stage`` entries that override (or extend) the preset's mapping.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.stage_model("4-stage").stages
    ('awareness', 'engagement', 'transaction', 'retention')
    >>> custom = cx.stage_model("custom", stages=["find", "buy"], mapping={"purchase": "buy"})
    >>> custom.stage_of("purchase")
    'buy'
    """
    if name in PRESETS:
        preset_stages, preset_mapping = PRESETS[name]
        order = tuple(stages) if stages is not None else preset_stages
        merged = {tp: s for tp, s in preset_mapping.items() if s in order}
    elif name == "custom" or stages is not None:
        if not stages:
            raise DataError(
                f"stage model '{name}' needs its stages in order; set [stages] order "
                "in cx.toml, e.g. order = ['awareness', 'purchase']"
            )
        order, merged = tuple(stages), {}
    else:
        raise DataError(
            f"unknown stage model '{name}'; use one of {sorted(PRESETS)} or 'custom' "
            "with [stages] order in cx.toml"
        )
    merged.update(mapping or {})
    return StageModel(name=name, stages=order, mapping=merged)

"""The plan of a report run: which notebooks run (one declaring ``stage`` once per stage),
what each page needs from the data and which pages ``[report] skip`` switches off.

A notebook declares its page-level needs in its metadata, ``metadata["cx"]["needs"]``, as
names from the vocabulary of :mod:`cxlib.pages.needs` (``["surveys"]``). Where the data
lacks one, the notebook is not run: one "not available" page stands for it (one, not one
per stage).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cxlib.i18n as i18n
from cxlib._engine import close_match, did_you_mean
from cxlib._errors import DataError
from cxlib.pages import needs
from cxlib.report._params import Parameter, check_parameters, parameters_of

PATTERN = "[0-9][0-9]-*.ipynb"


@dataclass(frozen=True)
class Job:
    """One notebook execution: the source notebook, its parameters and its page name.

    ``needs`` are the page-level needs the notebook declares (``metadata["cx"]["needs"]``).
    """

    notebook: Path
    parameters: dict[str, Any]
    name: str
    title: str
    needs: tuple[str, ...] = ()


def default_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` next to the package, else ``./notebooks``."""
    here = Path(__file__).resolve().parent.parent.parent / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def report_notebooks(notebooks_dir: Path) -> list[Path]:
    """The report notebooks of a folder: every ``NN-topic.ipynb``, in name order."""
    return sorted(notebooks_dir.glob(PATTERN))


def report_parameters(notebooks_dir: Path) -> dict[Path, tuple[Parameter, ...]]:
    """Every report notebook (``NN-topic.ipynb``) of ``notebooks_dir``, with the parameters
    its cell tagged ``parameters`` declares.

    Examples
    --------
    >>> declared = report_parameters(default_notebooks_dir())
    >>> [p.name for p in declared[default_notebooks_dir() / "00-data-health.ipynb"]]
    ['data', 'render', 'every']
    """
    return {notebook: parameters_of(notebook) for notebook in report_notebooks(notebooks_dir)}


def list_params_command(notebooks_dir: Path) -> str:
    """The command listing the parameters of ``notebooks_dir``'s notebooks, for messages.

    Examples
    --------
    >>> list_params_command(default_notebooks_dir())
    'cx report --list-params'
    """
    if notebooks_dir.resolve() == default_notebooks_dir().resolve():
        return "cx report --list-params"
    return f"cx report --list-params --notebooks {notebooks_dir}"


# The titles of the project's report pages, in the report's language; another notebook's
# title is its file name in words.
_TITLES = {
    "data-health": i18n.N_("Data health"),
    "journey-map": i18n.N_("Journey map"),
    "stage": i18n.N_("Stage"),
    "funnel-explorer": i18n.N_("Funnel explorer"),
    "churn": i18n.N_("Churn"),
    "voice-of-customer": i18n.N_("Voice of customer"),
    "omnichannel-value": i18n.N_("Omnichannel value"),
}


def _title(notebook: Path) -> str:
    topic = notebook.stem.split("-", 1)[-1]
    if topic in _TITLES:
        return i18n._(_TITLES[topic])
    words = topic.replace("-", " ")
    return words[:1].upper() + words[1:]


def needs_of(notebook: Path) -> tuple[str, ...]:
    """The page-level needs ``notebook`` declares in ``metadata["cx"]["needs"]`` (none: ``()``).

    Raises
    ------
    DataError
        When the entry is not a list of names of :mod:`cxlib.pages.needs`.
    """
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError) as err:
        raise DataError(f"{notebook}: not a readable notebook ({err}); restore the file") from None
    declared = (metadata.get("cx") or {}).get("needs", [])
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise DataError(
            f'{notebook}: metadata cx.needs must be a list of need names, e.g. ["surveys"]'
        )
    for name in declared:
        if name not in needs.NEEDS:
            raise DataError(
                f"{notebook}: metadata cx.needs: unknown need {name!r}; "
                f"{did_you_mean(name, list(needs.NEEDS))}"
            )
    return tuple(declared)


def slug(name: str) -> str:
    """A name from the data or cx.toml (a stage) as a file name that stays in its folder:
    letters and digits of any script kept, everything else (``/``, ``..``, spaces) a ``-``.

    Examples
    --------
    >>> slug("../../etc/passwd"), slug("chăm sóc"), slug("หลังการขาย")
    ('etc-passwd', 'chăm-sóc', 'หลังการขาย')
    """
    words = re.sub(r"[^\w\u0e00-\u0e7f]+|_+", "-", name).strip("-")
    return words[:60] or "stage"


def plan(
    notebooks_dir: Path, data: Path, parameters: Mapping[str, Any], stages: Sequence[str]
) -> list[Job]:
    """The jobs of a run: every ``NN-*.ipynb``, per-stage notebooks once per stage.

    ``parameters`` (``-p key=value``) reach the notebooks declaring them; ``data`` and
    ``render`` are the run's own. ``stage`` runs the per-stage notebook for that stage only.

    Raises
    ------
    DataError
        For a key no notebook declares (with a close match and how to list them), for
        ``data`` or ``render``, or for a ``stage`` that is not one of ``stages``.
    """
    declared = report_parameters(notebooks_dir)
    check_parameters(parameters, declared, listing=list_params_command(notebooks_dir))
    _check_stage(parameters, stages)
    jobs = []
    for notebook, params in declared.items():
        names = {p.name for p in params}
        page_needs = needs_of(notebook)
        given = {"data": str(data), "render": "static", **parameters}
        base = {k: v for k, v in given.items() if k in names}
        if "stage" in names and "stage" not in parameters:
            for i, stage in enumerate(stages, start=1):
                jobs.append(
                    Job(
                        notebook,
                        {**base, "stage": stage},
                        f"{notebook.stem}-{i}-{slug(stage)}",
                        i18n.t("Stage: {stage}", stage=stage),
                        page_needs,
                    )
                )
        else:
            jobs.append(Job(notebook, base, notebook.stem, _title(notebook), page_needs))
    return jobs


def _check_stage(parameters: Mapping[str, Any], stages: Sequence[str]) -> None:
    """``-p stage=NAME`` names a stage of the model (empty: the notebook's own choice)."""
    stage = str(parameters.get("stage", "")).strip()
    if stage and stage not in stages:
        raise DataError(
            f"-p stage={stage!r}: not a stage of the journey model; "
            f"{close_match(stage, list(stages))}the stages are "
            + ", ".join(repr(s) for s in stages)
        )


def one_page(jobs: Sequence[Job]) -> Job:
    """The one page standing for a notebook that is not run (its jobs: one, or one per stage)."""
    first = jobs[0]
    per_stage = len(jobs) > 1 or first.name != first.notebook.stem
    title = i18n.t("{page} pages", page=_title(first.notebook)) if per_stage else first.title
    return Job(first.notebook, {}, first.notebook.stem, title, first.needs)


def check_skip(skip: Sequence[str], pages: Sequence[str], source: str | None) -> None:
    """Check that every name in ``[report] skip`` is a report page (``NN-topic``).

    Raises
    ------
    DataError
        Naming ``cx.toml``, the unknown name, a close match if any and the known pages.
    """
    for name in skip:
        if name not in pages:
            close = close_match(name, pages)
            known = ", ".join(repr(p) for p in pages) or "none"
            raise DataError(
                f"{source or 'cx.toml'}: [report] skip: {name!r} is not a report page; "
                f"{close}the pages are {known}"
            )

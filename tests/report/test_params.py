"""``cx report -p key=value`` is checked against the parameters the report notebooks declare,
and ``cx report --list-params`` lists them, with their defaults and comments."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from tiny_notebooks import write_notebook

from cxlib import DataError
from cxlib.cli import EXIT_DATA, EXIT_OK, main
from cxlib.report import (
    Parameter,
    check_parameters,
    default_notebooks_dir,
    parameters_of,
    plan,
    report_parameters,
    run_report,
)
from cxlib.report._params import parameters_in

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
STAGES = ("awareness", "consideration", "conversion", "retention", "advocacy")


def _notebook(path: Path, parameters: str | None, body: str = "print('page')") -> None:
    cells = [new_markdown_cell("A tiny page"), new_code_cell(body)]
    if parameters is not None:
        cells.insert(0, new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)


@pytest.fixture
def notebooks(tmp_path) -> Path:
    """Two report notebooks declaring different parameters, one without a parameters cell
    and a file that is not a report notebook (its parameter counts for nothing)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(
        folder / "01-greeting.ipynb",
        'data = "."  # data folder or cx.toml\n'
        'render = "interactive"  # "static" in scheduled reports\n'
        'greeting = "hello # world"  # what to say; a = sign here is fine\n'
        "times = 3",
    )
    _notebook(
        folder / "02-stage.ipynb",
        'data = "."  # data folder or cx.toml\nstage = ""  # the stage to study\n',
    )
    _notebook(folder / "03-plain.ipynb", None)
    _notebook(folder / "scratch.ipynb", "secret = 1  # not a report notebook\n")
    return folder


# -- reading the parameters cell ----------------------------------------------------------


def test_the_cell_gives_names_defaults_as_written_and_comments():
    source = (
        'every = "1w"  # period for activity over time\n'
        "%matplotlib inline\n"
        'greeting = "a # b"  # a # in a string, an = in the comment\n'
        "steps = [\n    'visit',\n    'purchase',\n]  # funnel steps\n"
        "folds: int = 3  # annotated\n"
        "bare = 0.01\n"
    )
    assert parameters_in(source) == (
        Parameter("every", '"1w"', "period for activity over time"),
        Parameter("greeting", '"a # b"', "a # in a string, an = in the comment"),
        Parameter("steps", "[ 'visit', 'purchase', ]", "funnel steps"),
        Parameter("folds", "3", "annotated"),
        Parameter("bare", "0.01", ""),
    )


def test_a_notebook_without_a_parameters_cell_declares_none(notebooks):
    assert parameters_of(notebooks / "03-plain.ipynb") == ()


def test_a_parameters_cell_that_is_not_python_is_a_data_error(tmp_path):
    _notebook(tmp_path / "01-broken.ipynb", "every = = 1  # oops")
    with pytest.raises(DataError, match=r"01-broken.ipynb: the parameters cell is not Python"):
        parameters_of(tmp_path / "01-broken.ipynb")


def test_every_parameter_of_the_real_notebooks_is_read():
    for path, params in report_parameters(NOTEBOOKS).items():
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
        lines = "".join(cell["source"]).splitlines()
        written = [" ".join(f"{p.name} = {p.default}  # {p.comment}".split()) for p in params]
        assert written == [" ".join(line.split()) for line in lines], path.name


# -- checking -p ----------------------------------------------------------------------------


def test_an_unknown_key_is_a_data_error_with_a_did_you_mean():
    with pytest.raises(DataError) as error:
        check_parameters({"funnel_withn": "3d"}, report_parameters(NOTEBOOKS))
    message = str(error.value)
    assert message.startswith("-p funnel_withn: no report notebook declares this parameter")
    assert "did you mean 'funnel_within'" in message
    assert message.endswith("list them with cx report --list-params")
    assert "\n" not in message


def test_an_unknown_key_like_no_declared_one_still_says_how_to_list_them():
    with pytest.raises(DataError) as error:
        check_parameters({"zzzz": 1}, report_parameters(NOTEBOOKS))
    assert "did you mean" not in str(error.value)
    assert "cx report --list-params" in str(error.value)


def test_the_hint_names_the_notebooks_folder_when_it_is_not_the_default(notebooks):
    with pytest.raises(DataError, match=r"did you mean 'greeting'\?.*--notebooks"):
        plan(notebooks, SAMPLE, {"greting": "hi"}, STAGES)


def test_a_key_only_a_non_report_notebook_declares_is_unknown(notebooks):
    with pytest.raises(DataError, match=r"-p secret: no report notebook declares"):
        plan(notebooks, SAMPLE, {"secret": 2}, STAGES)


@pytest.mark.parametrize(("key", "fix"), [("data", "--data DIR"), ("render", "JupyterLab")])
def test_the_parameters_the_run_sets_itself_are_refused(key, fix):
    with pytest.raises(DataError, match=rf"^-p {key}: cx report sets it.*{fix}"):
        check_parameters({key: "x"}, report_parameters(NOTEBOOKS))


def test_a_declared_key_reaches_only_the_notebooks_declaring_it():
    jobs = plan(NOTEBOOKS, SAMPLE, {"funnel_within": "3d", "folds": 5}, STAGES)
    given = {job.name: job.parameters for job in jobs}
    assert given["10-journey-map"]["funnel_within"] == "3d"
    assert given["30-funnel-explorer"]["funnel_within"] == "3d"
    assert given["40-churn"]["folds"] == 5
    assert "funnel_within" not in given["40-churn"]
    assert all(p["data"] == str(SAMPLE) and p["render"] == "static" for p in given.values())


def test_a_stage_runs_the_stage_notebook_for_that_stage_only():
    jobs = plan(NOTEBOOKS, SAMPLE, {"stage": "conversion"}, STAGES)
    stage_jobs = [job for job in jobs if job.notebook.stem == "20-stage"]
    assert [(job.name, job.parameters["stage"]) for job in stage_jobs] == [
        ("20-stage", "conversion")
    ]
    every_stage = plan(NOTEBOOKS, SAMPLE, {}, STAGES)
    assert len([job for job in every_stage if job.notebook.stem == "20-stage"]) == len(STAGES)


def test_a_stage_not_in_the_model_is_a_data_error_with_a_did_you_mean():
    with pytest.raises(DataError, match=r"-p stage='convrsion'.*did you mean 'conversion'"):
        plan(NOTEBOOKS, SAMPLE, {"stage": "convrsion"}, STAGES)


# -- the command line -----------------------------------------------------------------------


def test_the_cli_refuses_an_unknown_key_with_one_error_line(tmp_path, capsys):
    code = main(["report", "--out", str(tmp_path / "out"), "-p", "funnel_withn=3d"])
    captured = capsys.readouterr()
    assert code == EXIT_DATA
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: -p funnel_withn: ")
    assert "did you mean 'funnel_within'" in lines[0] and "--list-params" in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists()


def test_the_cli_checks_parameters_before_loading_the_data(tmp_path, capsys):
    code = main(["report", "--data", "/nonexistent", "-p", "bogus=1"])
    assert code == EXIT_DATA
    assert capsys.readouterr().err.startswith("error: -p bogus: ")


def test_the_cli_lets_a_declared_key_through_to_the_run(capsys):
    # the key is declared, so the run goes on, to the data, which does not exist
    code = main(["report", "--data", "/nonexistent", "-p", "funnel_within=3d"])
    err = capsys.readouterr().err
    assert code == EXIT_DATA
    assert "/nonexistent" in err and "-p" not in err


def test_list_params_lists_every_notebook_with_defaults_and_comments(capsys):
    code = main(["report", "--list-params", "--data", "/nonexistent"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for path, params in report_parameters(default_notebooks_dir()).items():
        start = lines.index(path.stem)
        listed = lines[start + 1 : start + 1 + len(params)]
        assert listed == [f"{p.name} = {p.default} # {p.comment}" for p in params], path.stem
    assert 'render = "interactive" # "static" in scheduled reports (inline SVG charts)' in lines
    assert any(line.startswith("data and render: set by cx report") for line in lines)
    assert any(line.startswith("stage: 20-stage runs once per stage") for line in lines)


def test_list_params_aligns_defaults_and_comments(capsys):
    main(["report", "--list-params"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert len({row.index(" = ") for row in rows}) == 1
    assert len({row.index("  # ") for row in rows if "  # " in row}) == 1


def test_list_params_of_a_notebooks_folder_loads_no_data(notebooks, capsys):
    code = main(
        ["report", "--list-params", "--notebooks", str(notebooks), "--data", "/nonexistent"]
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert lines[:5] == [
        "01-greeting",
        'data = "." # data folder or cx.toml',
        'render = "interactive" # "static" in scheduled reports',
        'greeting = "hello # world" # what to say; a = sign here is fine',
        "times = 3",
    ]
    assert "02-stage" in lines and "03-plain" in lines
    assert "(no cell tagged parameters)" in lines
    assert "secret" not in out and "scratch" not in out


def test_list_params_without_report_notebooks_is_a_data_error(tmp_path, capsys):
    code = main(["report", "--list-params", "--notebooks", str(tmp_path)])
    assert code == EXIT_DATA
    assert "no report notebooks" in capsys.readouterr().err


@pytest.mark.xdist_group("report")
def test_a_given_parameter_reaches_the_executed_notebook(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    seen = tmp_path / "seen.txt"
    _notebook(
        folder / "01-greeting.ipynb",
        'data = "."  # data folder or cx.toml\ngreeting = "hello"  # what to say',
        f"open({str(seen)!r}, 'w').write(greeting)",
    )
    write_notebook(folder / "02-other.ipynb", "print('no greeting here')")
    result = run_report(
        SAMPLE, tmp_path / "out", parameters={"greeting": "xin chào"}, notebooks_dir=folder, jobs=1
    )
    assert result.ok, [o.error for o in result.outcomes]
    assert seen.read_text(encoding="utf-8") == "xin chào"

"""The examples in the README and in docs/ are the project's promises to a newcomer: every Python block runs as
written (in a folder laid out like a checkout, with a trained model in `models/`), and every `rolcov` command
line in a shell block names a real subcommand and only options that subcommand has.

The Python blocks run in one namespace, in reading order: the README, then the docs pages in the order of
docs/README.md's table (a page may use what an earlier one defined, as a reader who follows the links would)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil

import pytest
from conftest import ROOT

from pipeline.annotate.annotations import read_annotations
from pipeline.cli.main import build_parser

DOCS_INDEX = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", ROOT / "docs" / "README.md"] + [
    ROOT / "docs" / name for name in re.findall(r"^\| \[([\w-]+\.md)\]", DOCS_INDEX, re.M)
]
TEXTS = {page: page.read_text(encoding="utf-8") for page in PAGES}
PYTHON_BLOCKS = [(page, block) for page in PAGES for block in re.findall(r"```python\n(.*?)```", TEXTS[page], re.S)]
SHELL_BLOCKS = [block for page in PAGES for block in re.findall(r"```sh\n(.*?)```", TEXTS[page], re.S)]


def test_every_docs_page_is_in_the_index_and_the_readme_fits_a_screen():
    assert set(PAGES) == {ROOT / "README.md"} | set((ROOT / "docs").glob("*.md"))
    assert len((ROOT / "README.md").read_bytes()) <= 8 * 1024
    for page, text in TEXTS.items():
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", text):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"


@pytest.fixture()
def checkout(tmp_path, saved_model_dir):
    """A working folder as the README assumes one: corpus/, reports/, models/default and models/loop."""
    (tmp_path / "corpus").symlink_to(ROOT / "corpus")
    (tmp_path / "reports").symlink_to(ROOT / "corpus" / "raw")
    for name in ("default", "loop"):
        shutil.copytree(saved_model_dir, tmp_path / "models" / name)
    previous = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(previous)


def test_every_python_example_runs_as_written(checkout):
    assert len(PYTHON_BLOCKS) >= 5
    annotated = read_annotations(checkout / "corpus" / "annotations.csv")
    annotated = annotated[~annotated.report_id.str[:3].isin(["003", "004"])]  # two reports not annotated yet
    namespace = {"annotated_table": annotated}
    for number, (page, block) in enumerate(PYTHON_BLOCKS):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"{page.name} python block {number}", "exec"), namespace)  # noqa: S102
    assert set(namespace["labelled"].report_id) == {"004_46c69bc1076580ad"}  # one report through
    assert namespace["profile"].report_id.nunique() == 5 and len(namespace["tasks"])  # the seeds' coverage
    assert len(namespace["suggestions"]) == 30 and set(namespace["suggestions"].report_id.str[:3]) == {"003", "004"}
    assert namespace["result"].classified == 5 and not namespace["result"].failures
    assert (checkout / "out" / "run1" / "paragraphs.parquet").is_file()


def _command_lines() -> list[list[str]]:
    lines = []
    for block in SHELL_BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("rolcov "):
                lines.append(shlex.split(line)[1:])
    return lines


def _subcommands() -> dict[str, set[str]]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return {name: {option for a in sub._actions for option in a.option_strings} for name, sub in action.choices.items()}


def test_every_command_line_example_uses_real_subcommands_and_options():
    subcommands, lines = _subcommands(), _command_lines()
    assert len(lines) > 30
    wrong = []
    for words in lines:
        if words[0].startswith("-"):  # rolcov --help
            continue
        options = {word.split("=", 1)[0] for word in words[1:] if word.startswith("-")}
        if words[0] not in subcommands or options - subcommands[words[0]]:
            wrong.append(" ".join(words))
    assert wrong == []

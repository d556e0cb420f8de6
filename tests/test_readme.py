"""The README's examples are the project's promises to a newcomer: every Python block runs as written (in a
folder laid out like a checkout, with a trained model in `models/`), and every `rolcov` command line in a
shell block names a real subcommand and only options that subcommand has."""

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
from pipeline.text.segment import segment_files

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)


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
    paragraphs_table, failures = segment_files([checkout / "corpus" / "raw"])
    assert not failures
    annotated = read_annotations(checkout / "corpus" / "annotations.csv")
    annotated = annotated[~annotated.report_id.str[:3].isin(["003", "004"])]  # two reports not annotated yet
    namespace = {"paragraphs_table": paragraphs_table, "annotated_table": annotated}
    for number, block in enumerate(PYTHON_BLOCKS):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)  # noqa: S102
    assert set(namespace["labelled"].report_id) == {"004_46c69bc1076580ad"}  # block 0: one report through
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
    return {name: {option for a in sub._actions for option in a.option_strings}
            for name, sub in action.choices.items()}


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

"""The user errors rolcov reports as one line, one type per kind of mistake.

The CLI catches exactly these and prints ``str(error)``; anything else is a bug and keeps its traceback.
Messages name the file (and line where it applies) and say what to do, because the person reading them
is usually a researcher with a folder of reports, not the author of the code.
"""

from __future__ import annotations


class RolcovError(Exception):
    """Base class of every error that is the input's fault rather than rolcov's."""


class InputError(RolcovError):
    """A report file cannot be read: empty, binary, unsupported type, undecodable."""


class AnnotationError(RolcovError):
    """An annotation table is malformed: unknown label, duplicated id, text drift, bad encoding."""


class TaxonomyError(RolcovError):
    """A taxonomy file is missing a field, repeats a label id or cannot be parsed."""


class ModelError(RolcovError):
    """A model or segmenter directory is missing, corrupt, or built for another taxonomy/version."""


class MetadataError(InputError):
    """A ``--metadata`` file cannot be joined: one line per problem in :attr:`problems` (file and line named)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more)")
        self.problems = problems

"""The "required contents" block of a report's page: what the rule requires, what the report has, and why.

One table row per required content — its status in words (colour only repeats it), the rule's wording and the
number of paragraphs behind it, linked to a ``<details>`` listing them: whole paragraphs for a section of its
own, only the sentences that name the content when it is mentioned in passing. Then the shortcomings' causes
and specificity, and the publication date against the deadline. Rendered from ``templates/required.html.j2``
with autoescape, so report text can never become markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from markupsafe import Markup

from pipeline.coverage.requirements import IN_PASSING, REQUIRED_CONTENTS, cause_sentences, mention_sentences
from pipeline.coverage.templating import render

CONTENT_NAMES = {
    "achievements": "Measures and results",
    "problems": "Shortcomings and their causes",
    "responsibility": "First responsible persons' duty",
    "plans": "Main plans for next year",
}
STATUS_WORDS = {"present": "present", "in_passing": "only mentioned in passing", "absent": "absent"}
TIMELINESS_WORDS = {"on_time": "on time", "late": "late", "unknown": "unknown"}
SPECIFICITY_WORDS = {"specific": "specific", "partly_specific": "partly specific", "boilerplate": "boilerplate"}
#: Styles of the block, for the page's ``<style>`` (the block itself carries none).
REQUIRED_CSS = """
table.required td.s-absent{background:#f4c7c3}table.required td.s-in_passing{background:#fde7b0}
table.required td.s-present{background:#d9ead3}table.required td.count{text-align:right}
"""


def required_contents_block(
    report: Mapping[str, object] | pd.Series, table: pd.DataFrame, anchor: str = "required"
) -> Markup:
    """Return the ``<section>`` for one report's required contents.

    Parameters
    ----------
    report : mapping or pandas.Series
        One row of :func:`pipeline.coverage.requirements.required_contents`.
    table : pandas.DataFrame
        The paragraph table it was computed from (the paragraphs' text and headings are listed).
    anchor : str
        Id of the section; the listings get ``<anchor>-<content>`` ids, so one page can hold several blocks.
    """
    report = dict(report)
    by_id = table.drop_duplicates("para_id").set_index("para_id", drop=False)
    contents = [_content(report, part, by_id, f"{anchor}-{part}") for part in REQUIRED_CONTENTS]
    causes = _paragraphs(report["causes_para_ids"], by_id, cause_sentences)
    return render(
        "required.html.j2",
        anchor=anchor,
        contents=contents,
        report=report,
        causes=causes,
        missing=[CONTENT_NAMES[part] for part in str(report["missing"]).split(";") if part in CONTENT_NAMES],
        specificity=SPECIFICITY_WORDS.get(report["problems_specificity"], ""),
        timeliness=TIMELINESS_WORDS[report["timeliness"]],
    )


def _content(report: dict, part: str, by_id: pd.DataFrame, target: str) -> dict:
    status = str(report[part])
    excerpt = (lambda text: mention_sentences(text, part)) if status == IN_PASSING else None
    return {
        "name": CONTENT_NAMES[part],
        "rule": REQUIRED_CONTENTS[part],
        "status": status,
        "word": STATUS_WORDS[status],
        "target": target,
        "paragraphs": _paragraphs(report[f"{part}_para_ids"], by_id, excerpt),
    }


def _paragraphs(para_ids: object, by_id: pd.DataFrame, excerpt: Callable[[str], list[str]] | None = None) -> list[dict]:
    """The listed paragraphs: id, heading path and text (or, with ``excerpt``, only the sentences it picks)."""
    rows = [by_id.loc[para_id] for para_id in str(para_ids or "").split(";") if para_id in by_id.index]
    return [
        {
            "para_id": row["para_id"],
            "heading": row["heading_path"],
            "text": " … ".join(excerpt(row["text"])) if excerpt else row["text"],
        }
        for row in rows
    ]

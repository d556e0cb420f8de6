"""Silver labels from the report's own headings, and how well they agree with gold.

Report authors file every paragraph under headings in their own words (``（二）严格实行政府信息公开制度``);
matching those headings with each label's ``heading_cues`` gives a cheap label for every paragraph of every
report. The codebook calls headings evidence, not truth, so these rows are ``source=silver`` and
:func:`agreement` measures how far to trust them before they are mixed into training data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from pipeline.annotate.annotations import label_matrix
from pipeline.schema import ANNOTATION_FILE_COLUMNS, join_labels, split_heading_path
from pipeline.taxonomy import Taxonomy
from pipeline.text.normalize import normalize_text

AGREEMENT_COLUMNS = ("label", "n", "n_gold_pos", "n_silver_pos", "precision", "recall", "agreement", "kappa")


def silver_labels(paragraph_table: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Label each paragraph with the themes its deepest cue-matching heading names.

    A sub-heading is the author's most specific statement about a paragraph, so it beats its parent:
    under ``二、优化法治化营商环境,依法履行政府职能 > （二）严格实行政府信息公开制度`` the paragraph is
    ``oversight``, not ``functions``. Headings are matched in normalized form (width, script).

    Parameters
    ----------
    paragraph_table : DataFrame
        From :func:`pipeline.text.segment.paragraphs_to_frame` (needs report_id, para_id, text, part, heading_path).
    taxonomy : Taxonomy
        Supplies ``heading_cues`` and the version recorded in ``annotator``.

    Returns
    -------
    DataFrame
        The annotation file format (:data:`~pipeline.schema.ANNOTATION_FILE_COLUMNS`, labels as ``a;b``): labels
        of the deepest matching heading in taxonomy order, ``primary`` the first of them, ``source=silver``,
        ``annotator=heading_cues@<version>``. Paragraphs without a matching heading get no label.
    """
    cues = [(label.id, [re.compile(cue) for cue in label.heading_cues]) for label in taxonomy.labels]
    labels = [_heading_labels(path, cues) for path in paragraph_table["heading_path"]]
    silver = paragraph_table.loc[:, ["report_id", "para_id", "text", "part", "heading_path"]].copy()
    silver["labels"] = [join_labels(found) for found in labels]
    silver["primary"] = [found[0] if found else "" for found in labels]
    silver["annotator"] = f"heading_cues@{taxonomy.version}"
    silver["source"] = "silver"
    return silver[list(ANNOTATION_FILE_COLUMNS)].reset_index(drop=True)


def _heading_labels(heading_path: str, cues: Sequence[tuple[str, list[re.Pattern[str]]]]) -> list[str]:
    headings = [normalize_text(h) for h in split_heading_path(heading_path)]
    for heading in reversed(headings):
        found = [label for label, patterns in cues if any(p.search(heading) for p in patterns)]
        if found:
            return found
    return []


def agreement(gold: pd.DataFrame, silver: pd.DataFrame, label_ids: Sequence[str]) -> pd.DataFrame:
    """Per-label agreement of silver with gold on the paragraphs both label, plus a micro ``overall`` row.

    Rows are matched on (report_id, para_id), so an enumeration item (``…:0005.2``) only meets silver made
    with items and a whole paragraph only silver made without; the first row per paragraph counts when a
    file has several annotators.

    Parameters
    ----------
    gold, silver : DataFrame
        Annotation tables (``labels`` as tuples or ``a;b`` strings).
    label_ids : sequence of str
        Labels to report, in this order.

    Returns
    -------
    DataFrame
        :data:`AGREEMENT_COLUMNS`: ``n`` matched paragraphs (the ``overall`` row pools every
        paragraph × label decision), positives on each side, precision and recall
        of silver against gold, percent agreement and Cohen's kappa (NaN when both sides are constant).
    """
    key = ["report_id", "para_id"]
    matched = gold.drop_duplicates(key).merge(silver.drop_duplicates(key), on=key, suffixes=("_gold", "_silver"))
    y_gold = label_matrix(matched.rename(columns={"labels_gold": "labels"}), label_ids)
    y_silver = label_matrix(matched.rename(columns={"labels_silver": "labels"}), label_ids)
    rows = [_agreement_row(label, y_gold[:, k], y_silver[:, k]) for k, label in enumerate(label_ids)]
    rows.append({**_agreement_row("overall", y_gold.ravel(), y_silver.ravel()), "n": len(matched)})
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def _agreement_row(label: str, gold: np.ndarray, silver: np.ndarray) -> dict[str, object]:
    both = int((gold & silver).sum())
    with np.errstate(divide="ignore", invalid="ignore"):  # one class only: kappa is undefined, NaN says so
        kappa = cohen_kappa_score(gold, silver, labels=[0, 1]) if len(gold) else np.nan
    return {
        "label": label,
        "n": len(gold),
        "n_gold_pos": int(gold.sum()),
        "n_silver_pos": int(silver.sum()),
        "precision": both / silver.sum() if silver.sum() else np.nan,
        "recall": both / gold.sum() if gold.sum() else np.nan,
        "agreement": float((gold == silver).mean()) if len(gold) else np.nan,
        "kappa": float(kappa),
    }

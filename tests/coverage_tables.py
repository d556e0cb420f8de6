"""Hand-made classified paragraph tables whose coverage numbers can be worked out on paper (fixtures and builders)."""

from __future__ import annotations

import pandas as pd
import pytest

LABELS = ["functions", "decision_making", "enforcement", "oversight", "dispute_resolution", "capacity", "leadership"]
NAMES = {
    "functions": "依法全面履行政府职能",
    "decision_making": "行政决策与制度建设",
    "enforcement": "严格规范公正文明执法",
    "oversight": "行政权力制约和监督",
    "dispute_resolution": "依法有效化解社会矛盾纠纷",
    "capacity": "法治思维和依法行政能力",
    "leadership": "党的领导与组织保障",
}


def paragraph_table(
    report_id: str,
    rows: list[tuple[str, int, str]],
    year: float | None = 2022,
    issuer: str = "甲县人民政府",
    title: str = "",
    probs: dict[str, list[float]] | None = None,
    texts: list[str] | None = None,
) -> pd.DataFrame:
    """Build a classified table from (part, n_chars, labels) rows; ``probs`` overrides p_<id> columns."""
    table = pd.DataFrame(
        {
            "report_id": report_id,
            "para_id": [f"{report_id}-{i}" for i in range(len(rows))],
            "part": [r[0] for r in rows],
            "heading_path": "一、加强组织领导",
            "text": texts or [f"第{i}段文字。" for i in range(len(rows))],
            "n_chars": [r[1] for r in rows],
            "source": f"{report_id}.txt",
            "year": year,
            "issuer": issuer,
            "title": title,
            "labels": [r[2] for r in rows],
        }
    )
    table["primary"] = table["labels"].str.split(";").str[0]
    for theme in LABELS:
        table[f"p_{theme}"] = [1.0 if theme in labels.split(";") else 0.0 for labels in table["labels"]]
    for theme, values in (probs or {}).items():
        table[f"p_{theme}"] = values
    return table


@pytest.fixture
def report_a() -> pd.DataFrame:
    """甲县 2022: body of 6 paragraphs, 1000 characters; preamble and closing are not counted.

    functions 400 chars (2 paras), enforcement 400 (2), oversight 300 (1), dispute_resolution 300 (2, only in
    problems and plans), leadership 100 (1), decision_making and capacity none.
    """
    rows = [
        ("preamble", 100, "functions;enforcement"),
        ("achievements", 200, "functions"),
        ("achievements", 300, "enforcement;oversight"),
        ("achievements", 100, "enforcement"),
        ("responsibility", 100, "leadership"),
        ("problems", 100, "dispute_resolution"),
        ("plans", 200, "dispute_resolution;functions"),
        ("closing", 50, ""),
    ]
    enforcement_p = [0.9, 0.5, 0.9, 0.8, 0.0, 0.0, 0.0, 0.0]
    return paragraph_table("A", rows, title="2022年法治政府建设情况报告", probs={"enforcement": enforcement_p})


@pytest.fixture
def names() -> dict[str, str]:
    return dict(NAMES)

"""The coverage-gap notebook runs top to bottom on the classified seed corpus."""

from __future__ import annotations

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

from pipeline.io.tables import write_table
from pipeline.model.inputs import read_paragraphs
from pipeline.model.store import load_model

NOTEBOOK = ROOT / "notebooks" / "coverage_gaps.ipynb"


def test_coverage_notebook_executes(saved_model_dir, seed_paths, tmp_path, monkeypatch):
    paragraphs, _ = read_paragraphs([next(iter(seed_paths.values())).parent])
    classified = write_table(load_model(saved_model_dir).classify(paragraphs), tmp_path / "paragraphs.csv")
    monkeypatch.setenv("ROLCOV_CLASSIFIED", str(classified))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "missing from font" not in stderr, stderr  # matplotlib's "Glyph … missing": Chinese drawn as boxes
    text = "".join(o.get("text", "") for o in outputs)
    assert "114 paragraphs of 5 reports" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the heatmap was not drawn"
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    gaps_cell = next(cell for cell in notebook.cells if cell.source.startswith("gaps = coverage_gaps"))
    gaps_html = "".join(o.get("data", {}).get("text/html", "") for o in gaps_cell.outputs)
    assert "000_751c6dcf84680b70" in gaps_html and "<td>thin</td>" in gaps_html  # 清河县's thin themes are listed
    required_cell = notebook.cells[-1]
    required_html = "".join(o.get("data", {}).get("text/html", "") for o in required_cell.outputs)
    assert "2020-01-22" in required_html and "on_time" in required_html  # 柳城县 published before 1 April
    assert "邢台市" in html and "450222" in html  # the corpus cells: the panel with each report's place

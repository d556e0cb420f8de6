"""Stage 5, coverage: any labelled table into per-report profiles, gaps, task-level coverage, and the HTML
report and figures. Works on tables labelled by hand as well as classified ones; never loads a model."""

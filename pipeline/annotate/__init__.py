"""Stage 3, annotation: validating and reading annotation files, silver labels from headings, Label Studio."""

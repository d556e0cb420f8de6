"""Stage 1, reading files: report files of any supported type into :class:`~pipeline.io.ingest.Report`
(encodings, web pages, lost line breaks) and tables (.csv/.jsonl/.parquet/.xlsx) in and out."""

"""rolcov: coverage profiles of Chinese local-government rule-of-law reports.

Data flows one way: file → :class:`~pipeline.io.ingest.Report` → :class:`~pipeline.text.segment.Paragraph`
→ vectors → label probabilities → coverage profile → table/HTML. Each stage is its own module.
"""

__version__ = "0.1.0"

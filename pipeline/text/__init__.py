"""Stage 2, text: page chrome and boilerplate, report metadata, paragraphs with heading paths and report parts
(:func:`~pipeline.text.segment.segment_report`), and pkuseg word segmentation."""

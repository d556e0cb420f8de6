"""The classifier's configuration in one place: one frozen settings object and its named alternatives.

``ParagraphClassifier()`` is the shipped model because its ``settings`` default is ``ModelSettings()``, and
every value here is what ``rolcov train`` ships. The earlier configurations are named values of the same
object (:data:`SETTINGS`), so ``rolcov train --setting text_only``, the benchmarks and the model card (which
saves the settings whole) all speak of one thing. This module imports nothing heavy, so ``rolcov --help``
can list the names without loading scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType


@dataclass(frozen=True)
class ModelSettings:
    """Everything that decides what the classifier learns, apart from the data, the taxonomy and the seed.

    The defaults were chosen among a few round values by leave-one-report-out on the seeds and on real
    reports outside the corpus (``bench/compare_models.py``, ``bench/external.py``; docs/model.md).

    Attributes
    ----------
    use_headings : bool
        Heading evidence: heading-cue regex matches, cue counts and character n-grams of ``heading_path``.
    heading_copies : bool
        Also train on a copy of every row that has a ``heading_path``, with the heading path left empty, so
        that one model learns both what headings add and what the text alone says: it then serves report
        files (headings known) and bare tables (text only) alike. A copy stays in its report's inner fold.
    min_reports : int
        Keep an n-gram only if paragraphs of at least this many training reports contain it. 3: with five
        seed reports an n-gram must be used by most of them, so the model learns the common wording of
        reports, not one county's names and brands (devset: files top-1 0.911 → 0.930).
    word_ngrams, char_ngrams : tuple of int or None
        n-gram ranges of the pkuseg-word and character blocks; ``None`` leaves that block out.
    cue_weight, first_sentence_weight, heading_weight : float
        Scale of the codebook-cue, first-sentence (cues and character n-grams of the first sentence; 0 leaves
        it out) and heading blocks relative to the L2-normalized n-gram blocks.
    C : float
        Inverse L2 strength of every logistic regression; small because there are few reports.
    class_weight : {"balanced", None}
        Passed to each logistic regression; "balanced" keeps rare themes from being drowned out.
    inner_folds : int
        Folds (grouped by report) of the inner cross-validation that calibrates and sets thresholds.
    codebook_weight : float
        Sample weight of pseudo-examples built from the taxonomy (each label's definition, includes and
        cue list, and each exclude as an example of the label it points to); 0 adds none.
    """

    use_headings: bool = True
    heading_copies: bool = True
    min_reports: int = 3
    word_ngrams: tuple[int, int] | None = (1, 2)
    char_ngrams: tuple[int, int] | None = (1, 3)
    cue_weight: float = 0.5
    first_sentence_weight: float = 1.0
    heading_weight: float = 1.0
    C: float = 4.0
    class_weight: str | None = "balanced"
    inner_folds: int = 4
    codebook_weight: float = 0.0

    def as_dict(self) -> dict:
        """The settings as plain values, for the model card."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> ModelSettings:
        """Settings from :meth:`as_dict` output, e.g. a model card read back from JSON (lists become tuples)."""
        names = {field.name for field in fields(cls)}
        return cls(
            **{
                name: tuple(value) if isinstance(value, list) else value
                for name, value in values.items()
                if name in names
            }
        )


#: The name of the shipped configuration, the default of ``rolcov train --setting``.
SHIPPED = "shipped"
#: Named configurations: ``shipped`` (heading evidence, and every training row also without its headings, so
#: one model serves report files and bare tables); ``text_only`` and ``with_headings``, the two earlier
#: configurations, kept for comparison.
SETTINGS: Mapping[str, ModelSettings] = MappingProxyType(
    {
        SHIPPED: ModelSettings(),
        "text_only": ModelSettings(use_headings=False, heading_copies=False),
        "with_headings": ModelSettings(heading_copies=False),
    }
)

"""Paragraph features: pkuseg word n-grams, character n-grams, codebook cues and (optionally) heading evidence.

Every piece reads the columns it needs from the paragraph table (``text``; ``heading_path`` when headings
are used), so the pieces compose with ``FeatureUnion`` and the whole thing is one transformer that ``clone``,
cross-validation and joblib handle like any scikit-learn estimator. :func:`make_features` builds it from
:class:`pipeline.model.settings.ModelSettings`.

Five seed reports are very little data, and a report's own vocabulary (its county's name, local campaign
brands such as 企业宁静日, its figures) would otherwise be the easiest thing to learn. The n-gram pieces
therefore keep only n-grams seen in at least ``min_reports`` different reports of the training table; the
report of each row is the ``groups`` argument of ``fit``.

Normalizing a text and cutting it into pkuseg words are the slow steps, and cross-validation fits the same rows
many times over, so :func:`with_normalized_columns` does both once per table and the table carries the results
(``text_norm``, ``heading_path_norm``, ``text_words``) to every block and every fold. Nothing is cached
between calls: what a fit depends on is in its arguments.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.pipeline import FeatureUnion

from pipeline.model.settings import ModelSettings
from pipeline.patterns import FIRST_SENTENCE_END
from pipeline.schema import NORMALIZED_COLUMNS, NORMALIZED_SUFFIX, split_heading_path
from pipeline.taxonomy import Taxonomy, default_taxonomy
from pipeline.text.normalize import normalize_text

#: The carried pkuseg words of ``text``: space-separated, as the word n-gram block reads them.
WORDS_COLUMN = "text_words"
#: The derived column the first-sentence block reads (:func:`normalized_column`).
FIRST_SENTENCE = "first_sentence"
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


def paragraph_words(texts: list[str]) -> list[str]:
    """pkuseg words of each normalized text, punctuation dropped, joined by spaces (each distinct text once).

    The tokenizer is loaded once per process (:func:`pipeline.text.tokenize.load_tokenizer` is cached).
    """
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return []
    from pipeline.text.tokenize import tokenize_texts  # imported late: spaCy is only needed for word features

    joined = {
        text: " ".join(word for word in words if _WORDLIKE.search(word))
        for text, words in zip(distinct, tokenize_texts(distinct))
    }
    return [joined[text] for text in texts]


def text_words(frame: pd.DataFrame) -> list[str]:
    """The pkuseg words of each row's normalized ``text`` (:func:`paragraph_words`): the carried column when
    the table has one (:func:`with_normalized_columns`), else segmented now."""
    if WORDS_COLUMN in frame:
        return list(frame[WORDS_COLUMN])
    return paragraph_words(normalized_column(frame, "text"))


def _split_words(document: str) -> list[str]:
    return document.split(" ") if document else []


def normalized_column(frame: pd.DataFrame, column: str) -> list[str]:
    """The column as normalized text (NFKC + simplified); a missing column reads as empty strings.

    The normalized copy ``<column>_norm`` is used when the table carries one (:func:`with_normalized_columns`),
    so a table normalized once is not normalized again by each of the five or more feature blocks.
    ``"first_sentence"`` is the first sentence of ``text``, whatever opens it: reports open a paragraph with
    a sentence that states its theme (``(二)严格实行政府信息公开制度。``, ``一是强化督察,…``), which the codebook
    uses to break ties for the primary label. (Segmentation's ``lead`` is narrower: only an inline heading.)
    """
    if column == FIRST_SENTENCE:
        return [FIRST_SENTENCE_END.split(text, maxsplit=1)[0] for text in normalized_column(frame, "text")]
    if column + NORMALIZED_SUFFIX in frame:
        return list(frame[column + NORMALIZED_SUFFIX])
    if column not in frame:
        return [""] * len(frame)
    return _normalized_values(frame[column])


def with_normalized_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table plus ``text_norm`` (and ``heading_path_norm``) and the pkuseg words of ``text_norm``
    (:data:`WORDS_COLUMN`), each computed once for every feature block, fold and prediction that reads it.

    Columns the table already carries are kept as they are, so a table prepared once (e.g. before a
    cross-validation loop) is not normalized or segmented again.

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing was added, else a new table.
    """
    added = {
        column + NORMALIZED_SUFFIX: _normalized_values(frame[column])
        for column in NORMALIZED_COLUMNS
        if column in frame and column + NORMALIZED_SUFFIX not in frame
    }
    if "text" in frame and WORDS_COLUMN not in frame:
        texts = added.get("text" + NORMALIZED_SUFFIX) or normalized_column(frame, "text")
        added[WORDS_COLUMN] = paragraph_words(texts)
    return frame.assign(**added) if added else frame


def _normalized_values(values: pd.Series) -> list[str]:
    return [normalize_text(str(value)) for value in values.fillna("")]


class NgramFeatures(BaseEstimator, TransformerMixin):
    """TF-IDF of word or character n-grams seen in at least ``min_reports`` training reports.

    Parameters
    ----------
    analyzer : {"word", "char"}
        ``"word"``: n-grams of pkuseg words; ``"char"``: n-grams of characters (no segmenter needed).
    ngram_range : tuple of int
        Smallest and largest n.
    min_reports : int
        Keep an n-gram only if paragraphs of at least this many reports contain it, so names, brands and
        figures of a single report are not learned (default: the shipped
        :attr:`~pipeline.model.settings.ModelSettings.min_reports`). Without ``groups`` at fit time every
        paragraph counts as its own report, i.e. the rule becomes "seen in ``min_reports`` paragraphs",
        which removes one-off n-grams but not a report's recurring local names.
    column : str
        Which text column to read (``"text"`` or ``"heading_path"``).

    Attributes
    ----------
    vectorizer_ : CountVectorizer or None
        Counts over the kept vocabulary; None when the training texts had no n-gram at all.
    tfidf_ : TfidfTransformer
        Sub-linear tf, idf learned on the training table, rows L2-normalized.
    """

    def __init__(self, analyzer="char", ngram_range=(1, 3), min_reports=ModelSettings.min_reports, column="text"):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_reports = min_reports
        self.column = column

    def _documents(self, frame: pd.DataFrame) -> list[str]:
        if self.analyzer != "word":
            return normalized_column(frame, self.column)
        if self.column == "text":
            return text_words(frame)
        return paragraph_words(normalized_column(frame, self.column))

    def _counter(self, vocabulary=None) -> CountVectorizer:
        if self.analyzer == "word":
            return CountVectorizer(
                tokenizer=_split_words,
                token_pattern=None,
                lowercase=False,
                ngram_range=self.ngram_range,
                vocabulary=vocabulary,
            )
        return CountVectorizer(analyzer="char", lowercase=False, ngram_range=self.ngram_range, vocabulary=vocabulary)

    def fit(self, X: pd.DataFrame, y=None, groups=None):
        """Learn the vocabulary (n-grams of at least ``min_reports`` groups) and its idf.

        Parameters
        ----------
        X : DataFrame
            Paragraphs with the column this block reads.
        y : ignored
        groups : array of shape (n,), optional
            The report of each row; default: every row its own report.
        """
        documents = self._documents(X)
        groups = np.arange(len(X)) if groups is None else np.asarray(groups)
        # With fewer training reports than min_reports (an inner fold of a tiny corpus) the rule would
        # keep nothing; it then asks for every report there is.
        needed = min(self.min_reports, len(np.unique(groups)))
        counter = self._counter()
        try:
            counts = counter.fit_transform(documents)
        except ValueError:  # no n-gram at all, e.g. a table without headings
            self.vectorizer_, self.tfidf_ = None, None
            return self
        vocabulary = counter.get_feature_names_out()[_reports_per_feature(counts, groups) >= needed]
        if not len(vocabulary):  # no n-gram shared by enough reports (a few paragraphs of a small sample)
            self.vectorizer_, self.tfidf_ = None, None
            return self
        self.vectorizer_ = self._counter(vocabulary=list(vocabulary))
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(self.vectorizer_.transform(documents))
        return self

    def transform(self, X: pd.DataFrame):
        if self.vectorizer_ is None:
            return sparse.csr_matrix((len(X), 0))
        return self.tfidf_.transform(self.vectorizer_.transform(self._documents(X)))

    def get_feature_names_out(self, input_features=None):
        names = [] if self.vectorizer_ is None else self.vectorizer_.get_feature_names_out()
        return np.asarray([f"{self.analyzer}:{name}" for name in names])


def _reports_per_feature(counts: sparse.spmatrix, groups: np.ndarray) -> np.ndarray:
    """For each column of a document-term matrix, in how many distinct groups it occurs."""
    _, group_index = np.unique(groups, return_inverse=True)
    membership = sparse.csr_matrix((np.ones(len(groups)), (group_index, np.arange(len(groups)))))
    return np.asarray(((membership @ (counts > 0).astype(float)) > 0).sum(axis=0)).ravel()


class CueFeatures(BaseEstimator, TransformerMixin):
    """Per label, ``log1p`` of how often the label's taxonomy cue terms occur in a column.

    This is what the codebook already knows: a new report that uses the plans' vocabulary is recognised
    even where the five seeds never used a term. Overlapping cues (行政执法 and its part 执法) both count.

    Parameters
    ----------
    taxonomy : Taxonomy, optional
        Label set and cues; default :func:`pipeline.taxonomy.default_taxonomy` at fit time.
    column : str
        Text column to search.

    Attributes
    ----------
    cues_ : dict of str to tuple of str
        Normalized cue terms per label id, copied at fit so a saved model does not need the YAML file.
    """

    def __init__(self, taxonomy: Taxonomy | None = None, column="text"):
        self.taxonomy = taxonomy
        self.column = column

    def fit(self, X: pd.DataFrame, y=None, groups=None):
        """Copy the cue terms of the taxonomy, normalized; ``X``, ``y`` and ``groups`` are not used."""
        taxonomy = self.taxonomy or default_taxonomy()
        self.cues_ = {label.id: tuple(normalize_text(cue) for cue in label.cues) for label in taxonomy.labels}
        return self

    def transform(self, X: pd.DataFrame):
        texts = normalized_column(X, self.column)
        counts = [[sum(text.count(cue) for cue in cues) for cues in self.cues_.values()] for text in texts]
        return sparse.csr_matrix(np.log1p(np.asarray(counts, dtype=float).reshape(len(texts), -1)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"cues:{self.column}:{label}" for label in self.cues_])


class HeadingCueFeatures(BaseEstimator, TransformerMixin):
    """Per label, whether a taxonomy ``heading_cues`` regex matches the innermost heading / any heading.

    Headings carry the authors' own classification but are evidence, not truth (codebook section 7): the
    model learns how far to trust them, and a paragraph without headings gets zeros.

    Parameters
    ----------
    taxonomy : Taxonomy, optional
        Default :func:`pipeline.taxonomy.default_taxonomy` at fit time.

    Attributes
    ----------
    patterns_ : dict of str to tuple of str
        The regexes per label id, copied at fit.
    """

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy

    def fit(self, X: pd.DataFrame, y=None, groups=None):
        """Copy the heading-cue regexes of the taxonomy; ``X``, ``y`` and ``groups`` are not used."""
        taxonomy = self.taxonomy or default_taxonomy()
        self.patterns_ = {label.id: label.heading_cues for label in taxonomy.labels}
        return self

    def transform(self, X: pd.DataFrame):
        compiled = [[re.compile(p) for p in patterns] for patterns in self.patterns_.values()]
        rows = []
        for path in normalized_column(X, "heading_path"):
            headings = split_heading_path(path)
            innermost = headings[-1:] if headings else []
            rows.append(
                [_matches(patterns, innermost) for patterns in compiled]
                + [_matches(patterns, headings) for patterns in compiled]
            )
        return sparse.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), 2 * len(compiled)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"heading:{scope}:{label}" for scope in ("inner", "any") for label in self.patterns_])


def _matches(patterns: list[re.Pattern], headings: list[str]) -> float:
    return float(any(p.search(h) for p in patterns for h in headings))


def make_features(settings: ModelSettings = ModelSettings(), taxonomy: Taxonomy | None = None) -> FeatureUnion:
    """The paragraph feature transformer of :class:`pipeline.model.classifier.ParagraphClassifier`.

    Parameters
    ----------
    settings : ModelSettings
        Which blocks (word and character n-grams, codebook cues, first sentence, headings), their n-gram
        ranges, the report rule's ``min_reports`` and each block's weight; default the shipped settings.
    taxonomy : Taxonomy, optional
        Label set whose cues and heading cues are used.

    Returns
    -------
    FeatureUnion
        Unfitted; ``fit(X, groups=report_ids)`` needs ``text`` (and ``heading_path`` with headings).
    """
    pieces, weights = [], {}
    if settings.word_ngrams:
        pieces.append(("words", NgramFeatures("word", tuple(settings.word_ngrams), settings.min_reports)))
    if settings.char_ngrams:
        pieces.append(("chars", NgramFeatures("char", tuple(settings.char_ngrams), settings.min_reports)))
    pieces.append(("cues", CueFeatures(taxonomy)))
    weights["cues"] = settings.cue_weight
    if settings.first_sentence_weight:
        pieces += [
            ("first_sentence_cues", CueFeatures(taxonomy, column=FIRST_SENTENCE)),
            ("first_sentence_chars", NgramFeatures("char", (1, 2), settings.min_reports, column=FIRST_SENTENCE)),
        ]
        weights.update(
            first_sentence_cues=settings.first_sentence_weight, first_sentence_chars=settings.first_sentence_weight
        )
    if settings.use_headings:
        pieces += [
            ("heading_cues", HeadingCueFeatures(taxonomy)),
            ("heading_terms", CueFeatures(taxonomy, column="heading_path")),
            ("heading_chars", NgramFeatures("char", (1, 2), settings.min_reports, column="heading_path")),
        ]
        weights.update({name: settings.heading_weight for name in ("heading_cues", "heading_terms", "heading_chars")})
    return FeatureUnion(pieces, transformer_weights=weights)

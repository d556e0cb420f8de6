"""Paragraph features: pkuseg word n-grams, character n-grams, codebook cues and (optionally) heading evidence.

Every piece reads the columns it needs from the paragraph table (``text``; ``report_id`` at fit time;
``heading_path`` when headings are used), so the pieces compose with ``FeatureUnion`` and the whole thing is
one transformer that ``clone``, cross-validation and joblib handle like any scikit-learn estimator.

Five seed reports are very little data, and a report's own vocabulary (its county's name, local campaign
brands such as 企业宁静日, its figures) would otherwise be the easiest thing to learn. The n-gram pieces
therefore keep only n-grams seen in at least ``min_reports`` different reports of the training table.
"""

from __future__ import annotations

import re
from itertools import islice

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.pipeline import FeatureUnion

from pipeline.io.ingest import normalize_text
from pipeline.patterns import FEATURE_LEAD_END
from pipeline.schema import HEADING_SEPARATOR, NORMALIZED_COLUMNS, NORMALIZED_SUFFIX
from pipeline.taxonomy import Taxonomy, load_taxonomy

# Normalized text -> pkuseg words. Cross-validation fits the same texts many times over and pkuseg is the
# slow part, so words are computed once per process per distinct text. The cache is bounded (oldest texts
# dropped first) because a worker classifying thousands of reports sees each text once: unbounded, it
# would hold every paragraph of the run (about 10 KB per text, measured). The limit, ~100 MB, is well above a
# training set (~1,000 texts today); a training set larger than it still trains, with pkuseg run more often.
_WORD_CACHE: dict[str, tuple[str, ...]] = {}
WORD_CACHE_TEXTS = 10_000
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


def paragraph_words(texts: list[str]) -> list[tuple[str, ...]]:
    """pkuseg words of each normalized text, punctuation dropped; cached per process.

    The tokenizer is loaded once (:func:`pipeline.text.tokenize.load_tokenizer` is cached) and only texts not
    seen before in this process are segmented, in one batch.
    """
    missing = list(dict.fromkeys(text for text in texts if text not in _WORD_CACHE))
    fresh: dict[str, tuple[str, ...]] = {}
    if missing:
        from pipeline.text.tokenize import tokenize_texts  # imported late: spaCy is only needed for word features

        for text, words in zip(missing, tokenize_texts(missing)):
            fresh[text] = tuple(word for word in words if _WORDLIKE.search(word))
    found = [fresh[text] if text in fresh else _WORD_CACHE[text] for text in texts]
    _WORD_CACHE.update(fresh)
    for oldest in list(islice(_WORD_CACHE, max(len(_WORD_CACHE) - WORD_CACHE_TEXTS, 0))):
        del _WORD_CACHE[oldest]
    return found


def _joined_words(words: tuple[str, ...]) -> str:
    return " ".join(words)


def _split_words(document: str) -> list[str]:
    return document.split(" ") if document else []


def normalized_column(frame: pd.DataFrame, column: str) -> list[str]:
    """The column as normalized text (NFKC + simplified); a missing column reads as empty strings.

    The normalized copy ``<column>_norm`` is used when the table carries one (:func:`with_normalized_columns`),
    so a table normalized once is not normalized again by each of the five or more feature blocks.
    ``"lead"`` is the first sentence of ``text``: reports open a paragraph with a lead-in that states its
    theme (``(二)严格实行政府信息公开制度。``, ``一是强化督察,…``), which the codebook uses to break ties
    for the primary label.
    """
    if column == "lead":
        return [FEATURE_LEAD_END.split(text, maxsplit=1)[0] for text in normalized_column(frame, "text")]
    if column + NORMALIZED_SUFFIX in frame:
        return list(frame[column + NORMALIZED_SUFFIX])
    if column not in frame:
        return [""] * len(frame)
    return _normalized_values(frame[column])


def with_normalized_columns(frame: pd.DataFrame, refresh: bool = False) -> pd.DataFrame:
    """The table plus ``text_norm`` (and ``heading_path_norm``), each normalized once for every feature block.

    Parameters
    ----------
    frame : DataFrame
        A paragraph table; columns already carried normalized are kept unless ``refresh``.
    refresh : bool
        Normalize again even where a copy is carried: training adds rows (codebook examples, copies without
        headings) whose carried copies would be missing or stale.

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing was added, else a new table.
    """
    added = {column + NORMALIZED_SUFFIX: _normalized_values(frame[column]) for column in NORMALIZED_COLUMNS
             if column in frame and (refresh or column + NORMALIZED_SUFFIX not in frame)}
    return frame.assign(**added) if added else frame


def _normalized_values(values: pd.Series) -> list[str]:
    return [_PINYIN_GLOSS.sub("", normalize_text(str(value))) for value in values.fillna("")]


# Mirror sites gloss characters with pinyin, 领(lǐng)导: the gloss splits words and n-grams, so it is dropped.
_PINYIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zü\u00e0-\u01dc]{1,6}\)")


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
        figures of a single report are not learned. Without a ``report_id`` column at fit time every
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

    def __init__(self, analyzer="char", ngram_range=(1, 3), min_reports=2, column="text"):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_reports = min_reports
        self.column = column

    def _documents(self, frame: pd.DataFrame) -> list[str]:
        texts = normalized_column(frame, self.column)
        if self.analyzer == "word":
            return [_joined_words(words) for words in paragraph_words(texts)]
        return texts

    def _counter(self, vocabulary=None) -> CountVectorizer:
        if self.analyzer == "word":
            return CountVectorizer(tokenizer=_split_words, token_pattern=None, lowercase=False,
                                   ngram_range=self.ngram_range, vocabulary=vocabulary)
        return CountVectorizer(analyzer="char", lowercase=False, ngram_range=self.ngram_range,
                               vocabulary=vocabulary)

    def fit(self, X: pd.DataFrame, y=None):
        documents = self._documents(X)
        groups = X["report_id"].to_numpy() if "report_id" in X else np.arange(len(X))
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
        Label set and cues; default :func:`pipeline.taxonomy.load_taxonomy` at fit time.
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

    def fit(self, X: pd.DataFrame, y=None):
        taxonomy = self.taxonomy or load_taxonomy()
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
        Default :func:`pipeline.taxonomy.load_taxonomy` at fit time.

    Attributes
    ----------
    patterns_ : dict of str to tuple of str
        The regexes per label id, copied at fit.
    """

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy

    def fit(self, X: pd.DataFrame, y=None):
        taxonomy = self.taxonomy or load_taxonomy()
        self.patterns_ = {label.id: label.heading_cues for label in taxonomy.labels}
        return self

    def transform(self, X: pd.DataFrame):
        compiled = [[re.compile(p) for p in patterns] for patterns in self.patterns_.values()]
        rows = []
        for path in normalized_column(X, "heading_path"):
            headings = [h for h in path.split(HEADING_SEPARATOR.strip()) if h.strip()]
            innermost = headings[-1:] if headings else []
            rows.append([_matches(patterns, innermost) for patterns in compiled]
                        + [_matches(patterns, headings) for patterns in compiled])
        return sparse.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), 2 * len(compiled)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"heading:{scope}:{label}" for scope in ("inner", "any") for label in self.patterns_])


def _matches(patterns: list[re.Pattern], headings: list[str]) -> float:
    return float(any(p.search(h) for p in patterns for h in headings))


def make_features(use_headings: bool = False, taxonomy: Taxonomy | None = None, min_reports: int = 3,
                  word_ngrams=(1, 2), char_ngrams=(1, 3), cue_weight: float = 0.5,
                  lead_weight: float = 1.0, heading_weight: float = 1.0) -> FeatureUnion:
    """The paragraph feature transformer used by :class:`pipeline.model.classifier.ParagraphClassifier`.

    Parameters
    ----------
    use_headings : bool
        Add heading evidence: heading-cue regex matches, cue counts and character n-grams of the heading
        path. The shipped configuration (:data:`pipeline.model.train.SETTINGS`) turns it on and trains every row
        also without headings (``ParagraphClassifier(heading_copies=True)``), so that tables without
        headings are classified by their text alone.
    taxonomy : Taxonomy, optional
        Label set whose cues and heading cues are used.
    min_reports : int
        See :class:`NgramFeatures`. 3: with five seed reports an n-gram must be used by most of them, so
        the model learns the common wording of reports, not one county's (devset: files top-1 0.911 → 0.930).
    word_ngrams, char_ngrams : tuple of int or None
        n-gram ranges; ``None`` leaves that piece out.
    cue_weight, lead_weight, heading_weight : float
        Scale of the codebook-cue, lead-sentence (cues and character n-grams of the first sentence; 0 leaves
        it out) and heading blocks relative to the L2-normalized n-gram blocks. Defaults were chosen among
        a few round values by leave-one-report-out on the seeds and on real reports outside the corpus
        (``bench/external.py``; see docs/model.md).

    Returns
    -------
    FeatureUnion
        Unfitted; ``fit`` needs ``text`` and, for the report rule, ``report_id``.
    """
    pieces, weights = [], {}
    if word_ngrams:
        pieces.append(("words", NgramFeatures("word", tuple(word_ngrams), min_reports)))
    if char_ngrams:
        pieces.append(("chars", NgramFeatures("char", tuple(char_ngrams), min_reports)))
    pieces.append(("cues", CueFeatures(taxonomy)))
    weights["cues"] = cue_weight
    if lead_weight:
        pieces += [("lead_cues", CueFeatures(taxonomy, column="lead")),
                   ("lead_chars", NgramFeatures("char", (1, 2), min_reports, column="lead"))]
        weights.update(lead_cues=lead_weight, lead_chars=lead_weight)
    if use_headings:
        pieces += [("heading_cues", HeadingCueFeatures(taxonomy)),
                   ("heading_terms", CueFeatures(taxonomy, column="heading_path")),
                   ("heading_chars", NgramFeatures("char", (1, 2), min_reports, column="heading_path"))]
        weights.update(heading_cues=heading_weight, heading_terms=heading_weight, heading_chars=heading_weight)
    return FeatureUnion(pieces, transformer_weights=weights)

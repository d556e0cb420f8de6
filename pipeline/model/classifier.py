"""The paragraph classifier: one regularized logistic regression per theme, calibrated and thresholded by CV.

How a paragraph gets its labels
-------------------------------
1. :func:`pipeline.model.features.make_features` turns the table into word/char n-grams (only those seen in
   ``min_reports`` — three — or more training reports) plus codebook-cue counts, first-sentence features and
   heading evidence, as :class:`pipeline.model.settings.ModelSettings` says.
2. One L2 logistic regression per label scores the paragraph.
3. Inner cross-validation, grouped by report, gives every training paragraph a score from a model that did
   not see its report; one sigmoid (Platt scaling) fitted on those out-of-report scores of all labels turns
   scores into calibrated probabilities, and the per-label threshold that maximises that label's (smoothed) F1 on them
   becomes ``thresholds_``. Both are therefore tuned for reports the model has never seen.
4. A label is assigned when its probability reaches its threshold. "No label" is the outcome when no label
   does.
5. ``primary`` — the one theme a paragraph is mainly about — is a single-label decision, so it has its own
   model: one multinomial logistic regression over the themes plus "none" on the same features, trained on
   the annotators' ``primary``. The per-label models answer "is this theme reported on at all?", each
   balanced for its own label, and the most probable of them is biased towards themes that are rare in
   training (a leadership paragraph that mentions study sessions scores high on capacity too); the
   primary model learns which theme wins. The primary is always among the assigned labels (it is added if
   its threshold was not reached). When the primary model says "none" — the paragraph is a report's
   opening summary or a formula, and the themes it names are only mentioned — no label is assigned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from pipeline.errors import InputError
from pipeline.model.features import make_features, with_normalized_columns
from pipeline.model.settings import ModelSettings
from pipeline.schema import NORMALIZED_SUFFIX, PROB_PREFIX, join_labels
from pipeline.taxonomy import Taxonomy, default_taxonomy

CODEBOOK_REPORT = "codebook"  # group of the pseudo-examples, so they form their own inner fold
THRESHOLD_GRID = np.round(np.arange(0.10, 0.80, 0.025), 3)


class ParagraphClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label theme classifier over a paragraph table; with no arguments, the shipped model.

    Parameters
    ----------
    settings : ModelSettings
        The whole configuration (features, regularization, inner folds, heading copies, codebook examples);
        default the shipped one. Alternatives are named in :data:`pipeline.model.settings.SETTINGS`.
    taxonomy : Taxonomy, optional
        Label set; default :func:`pipeline.taxonomy.default_taxonomy` (the shipped one: fitting reads no
        environment variable; the CLI passes ``$ROLCOV_TAXONOMY`` in here).
    random_state : int
        Seed of the only random step: the shuffled inner folds when ``fit`` is given no report ids.

    Attributes
    ----------
    classes_ : ndarray of str
        Label ids, the column order of ``predict_proba``.
    thresholds_ : ndarray of float
        Per-label decision thresholds on the calibrated probability.
    primary_estimator_ : LogisticRegression
        The primary-theme model (step 5); its ``classes_`` are label ids and ``""`` for "none".
    features_ : FeatureUnion
        The fitted feature transformer (:func:`pipeline.model.features.make_features`).
    estimators_ : list of LogisticRegression or float
        One per label; a float is the constant score of a label that was always (or never) present.
    calibration_ : ndarray of shape (2,)
        Platt slope and intercept, shared by all labels so that the most probable label is also the one
        with the highest score (per-label sigmoids reorder labels and cost top-1 accuracy).
    taxonomy_sha256_ : str
        Hash of the taxonomy file the model was trained with.
    """

    def __init__(
        self, settings: ModelSettings = ModelSettings(), taxonomy: Taxonomy | None = None, random_state: int = 0
    ):
        self.settings = settings
        self.taxonomy = taxonomy
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, Y, groups=None, sample_weight=None):
        """Learn from a paragraph table and a 0/1 matrix of labels.

        Parameters
        ----------
        X : DataFrame
            Paragraphs; needs ``text``; ``heading_path`` and ``primary`` are used when present.
        Y : DataFrame or array of shape (n, n_labels)
            1 where the paragraph carries the label; DataFrame columns name the labels, otherwise the
            columns follow the taxonomy's label order.
        groups : array of shape (n,), optional
            The report of each row (``table["report_id"]``): inner folds hold out whole reports and the
            n-gram rule counts reports. Without it (or with a single report) every row is its own group,
            the folds are shuffled with ``random_state``, and the n-gram rule counts paragraphs.
        sample_weight : array of shape (n,), optional
            E.g. 1.0 for gold and 0.3 for silver rows. Only rows of weight >= 1 set calibration and
            thresholds, so noisy rows teach the model but do not decide where it draws the line.
        """
        taxonomy = self.taxonomy or default_taxonomy()
        self.classes_ = np.asarray(list(Y.columns) if hasattr(Y, "columns") else taxonomy.ids)
        X, Y, weight = _training_arrays(X, Y, sample_weight, len(self.classes_))
        by_row = groups is None or len(np.unique(np.asarray(groups))) < 2  # one report cannot be held out of itself
        groups = np.arange(len(X)).astype(str) if by_row else np.asarray(groups).astype(str)
        X = with_normalized_columns(X)  # normalized and segmented once, for every fit below
        if self.settings.heading_copies:
            X, Y, groups, weight = _with_headless_copies(X, Y, groups, weight)
        if self.settings.codebook_weight > 0:
            X, Y, groups, weight = _with_codebook(
                X, Y, groups, weight, taxonomy, self.classes_, self.settings.codebook_weight
            )
        scores = self._out_of_report_scores(X, Y, groups, weight, taxonomy, shuffle=by_row)
        trusted = weight >= 1.0
        self.calibration_ = np.array(_platt(scores[trusted].ravel(), Y[trusted].ravel()))
        probabilities = _sigmoid(scores * self.calibration_[0] + self.calibration_[1])
        self.thresholds_ = np.array(
            [_best_threshold(probabilities[trusted, k], Y[trusted, k]) for k in range(Y.shape[1])]
        )
        self.features_, self.estimators_ = self._fit_once(X, Y, groups, weight, taxonomy)
        self.primary_estimator_ = self._fit_primary(X, Y, weight)
        self.taxonomy_sha256_ = taxonomy.sha256
        return self

    def _logistic_regression(self, max_iter: int) -> LogisticRegression:
        return LogisticRegression(C=self.settings.C, class_weight=self.settings.class_weight, max_iter=max_iter)

    def _fit_once(self, X, Y, groups, weight, taxonomy):
        features = make_features(self.settings, taxonomy)
        matrix = features.fit_transform(X, groups=groups)
        estimators = []
        for k in range(Y.shape[1]):
            if Y[:, k].min() == Y[:, k].max():
                estimators.append(10.0 if Y[0, k] else -10.0)
                continue
            estimators.append(self._logistic_regression(2000).fit(matrix, Y[:, k], sample_weight=weight))
        return features, estimators

    def _fit_primary(self, X, Y, weight) -> LogisticRegression:
        target = primary_targets(X, Y, self.classes_)
        known = target != UNKNOWN
        return self._logistic_regression(3000).fit(
            self.features_.transform(X[known]), target[known], sample_weight=weight[known]
        )

    def _out_of_report_scores(self, X, Y, groups, weight, taxonomy, shuffle: bool) -> np.ndarray:
        """Every row's scores from a model fitted without its group (report, or row and its copy)."""
        folds = min(self.settings.inner_folds, len(np.unique(groups)))
        splitter = GroupKFold(folds, shuffle=shuffle, random_state=self.random_state if shuffle else None)
        scores = np.zeros(Y.shape, dtype=float)
        for train, test in splitter.split(X, Y, groups):
            features, estimators = self._fit_once(X.iloc[train], Y[train], groups[train], weight[train], taxonomy)
            scores[test] = _decision_scores(estimators, features.transform(X.iloc[test]))
        return scores

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated per-label scores, shape (n, n_labels)."""
        return _decision_scores(self.estimators_, self.features_.transform(_as_table(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of each label in ``classes_`` order, shape (n, n_labels)."""
        return self._calibrated(self.features_.transform(_as_table(X)))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 matrix of assigned labels (module docstring, steps 4–5); an all-zero row means no label."""
        return self._decide(_as_table(X))[1].astype(int)

    def predict_primary_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of each label being the primary theme, ``classes_`` order, plus a last column for none."""
        return self._primary_probabilities(self.features_.transform(_as_table(X)))

    def _calibrated(self, matrix) -> np.ndarray:
        return _sigmoid(_decision_scores(self.estimators_, matrix) * self.calibration_[0] + self.calibration_[1])

    def _primary_probabilities(self, matrix) -> np.ndarray:
        raw = self.primary_estimator_.predict_proba(matrix)
        known = list(self.primary_estimator_.classes_)
        return np.column_stack(
            [raw[:, known.index(label)] if label in known else np.zeros(len(raw)) for label in [*self.classes_, ""]]
        )

    def _decide(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-label probabilities, assigned labels (boolean) and the primary label (``""`` for none)."""
        if not len(X):
            empty = np.zeros((0, len(self.classes_)))
            return empty, empty.astype(bool), np.zeros(0, dtype=object)
        matrix = self.features_.transform(_as_table(X))
        probabilities = self._calibrated(matrix)
        return (
            probabilities,
            *_primary_and_labels(probabilities >= self.thresholds_, self._primary_probabilities(matrix), self.classes_),
        )

    def predict_primary(self, X: pd.DataFrame) -> np.ndarray:
        """The primary theme of each paragraph (``""`` when it has none): the ``primary`` column of classify."""
        return self._decide(_as_table(X))[2]

    def classify(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The input rows plus ``labels`` (";"-joined, taxonomy order), ``primary`` and ``p_<label>``.

        An empty table gives an empty table with those columns (scikit-learn refuses zero rows), so a
        batch that classified nothing still writes a table of the documented shape.
        """
        probabilities, assigned, primary = self._decide(frame)
        columns = label_columns(probabilities, assigned, self.classes_, primary)
        return pd.concat([frame.reset_index(drop=True), columns], axis=1)


def label_columns(
    probabilities: np.ndarray, assigned: np.ndarray, classes: np.ndarray, primary: np.ndarray | None = None
) -> pd.DataFrame:
    """``labels``, ``primary`` and ``p_<label>`` columns.

    ``primary`` defaults to the most probable assigned label (empty when none is assigned), for models
    without a primary model of their own.
    """
    assigned = np.asarray(assigned, dtype=bool)
    if primary is None:
        masked = np.where(assigned, probabilities, -1.0)
        primary = np.where(assigned.any(axis=1), classes[np.argmax(masked, axis=1)], "")
    labels = [join_labels(classes[row]) for row in assigned]
    columns = pd.DataFrame({"labels": labels, "primary": primary})
    rounded = pd.DataFrame(probabilities.round(4), columns=[f"{PROB_PREFIX}{label}" for label in classes])
    return pd.concat([columns, rounded], axis=1)


def _as_table(X) -> pd.DataFrame:
    """The table to featurize, its text normalized and segmented once here rather than by every feature block."""
    return with_normalized_columns(_checked_table(X))


def _checked_table(X) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame) or "text" not in X:
        raise InputError("the table to classify has no 'text' column; give one row per paragraph with its text")
    return X


def _training_arrays(X, Y, sample_weight, n_labels):
    X = _checked_table(X).reset_index(drop=True)
    Y = np.asarray(Y, dtype=int)
    if Y.shape != (len(X), n_labels):
        raise ValueError(f"Y has shape {Y.shape}; expected ({len(X)}, {n_labels}), one column per label")
    weight = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return X, Y, weight


def codebook_examples(taxonomy: Taxonomy, classes) -> tuple[pd.DataFrame, np.ndarray]:
    """Pseudo-paragraphs from the taxonomy: definition, includes and cue list per label; excludes → target.

    An exclude line reads "text → label", so it is an example of the label it points to.
    """
    index = {label: k for k, label in enumerate(classes)}
    texts, targets = [], []
    for label in taxonomy.labels:
        texts += [label.definition.split(" / ")[0], "、".join(label.cues), *label.includes]
        targets += [label.id] * (2 + len(label.includes))
        for line in label.excludes:
            text, _, target = line.partition("→")
            if target.strip() in index:
                texts.append(text.strip())
                targets.append(target.strip())
    keep = [k for k, target in enumerate(targets) if target in index]
    Y = np.zeros((len(keep), len(classes)), dtype=int)
    Y[np.arange(len(keep)), [index[targets[k]] for k in keep]] = 1
    return pd.DataFrame({"text": [texts[k] for k in keep]}), Y


def _with_codebook(X, Y, groups, weight, taxonomy, classes, codebook_weight):
    """The rows plus the taxonomy's pseudo-examples (:func:`codebook_examples`), in a group of their own."""
    pseudo, pseudo_Y = codebook_examples(taxonomy, classes)
    if "heading_path" in X:
        pseudo = pseudo.assign(heading_path="")
    X = pd.concat([X, with_normalized_columns(pseudo)], ignore_index=True)
    return (
        X,
        np.vstack([Y, pseudo_Y]),
        np.concatenate([groups, np.full(len(pseudo), CODEBOOK_REPORT)]),
        np.concatenate([weight, np.full(len(pseudo), codebook_weight)]),
    )


def _with_headless_copies(X, Y, groups, weight):
    """The rows plus a copy, without ``heading_path``, of each row that has one (in its row's group)."""
    if "heading_path" not in X:
        return X, Y, groups, weight
    headed = X["heading_path"].fillna("").astype(str).str.strip().ne("").to_numpy()
    copies = X[headed].assign(**{"heading_path": "", "heading_path" + NORMALIZED_SUFFIX: ""})
    return (
        pd.concat([X, copies], ignore_index=True),
        np.vstack([Y, Y[headed]]),
        np.concatenate([groups, groups[headed]]),
        np.concatenate([weight, weight[headed]]),
    )


def _decision_scores(estimators, matrix) -> np.ndarray:
    columns = [np.full(matrix.shape[0], e) if isinstance(e, float) else e.decision_function(matrix) for e in estimators]
    return np.column_stack(columns)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of a sigmoid fitted to out-of-report scores (identity-like if y is constant)."""
    if y.min() == y.max():
        return 1.0, 0.0
    model = LogisticRegression(C=100.0).fit(scores.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _best_threshold(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Threshold with the best F1, smoothed over neighbouring thresholds so one paragraph does not decide it."""
    if y.sum() == 0:
        return 0.5
    f1 = np.array([_f1(y, probabilities >= t) for t in THRESHOLD_GRID])
    smoothed = np.convolve(np.pad(f1, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    return float(THRESHOLD_GRID[int(np.argmax(smoothed))])


UNKNOWN = "(unknown)"  # primary target of a multi-label row without a stated primary: left out of training


def primary_targets(X: pd.DataFrame, Y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Primary theme of each training row: the ``primary`` column where it names one of the row's labels,
    else the only label, ``""`` for a row without labels, and :data:`UNKNOWN` for several labels and no
    stated primary."""
    stated = X["primary"].fillna("").astype(str).to_numpy() if "primary" in X else np.full(len(X), "")
    targets = []
    for row, primary in zip(Y.astype(bool), stated):
        labels = classes[row]
        if primary in labels:
            targets.append(primary)
        else:
            targets.append(labels[0] if len(labels) == 1 else "" if not len(labels) else UNKNOWN)
    return np.asarray(targets, dtype=str)  # plain strings: the fitted ``classes_`` stay a numpy str array


def _primary_and_labels(
    passed: np.ndarray, primary_probabilities: np.ndarray, classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Assigned labels and primary from the thresholded labels and the primary model (module docstring, 5)."""
    best = np.argmax(primary_probabilities, axis=1)
    has_theme = best < len(classes)
    assigned = passed & has_theme[:, None]
    rows = np.flatnonzero(has_theme)
    assigned[rows, best[rows]] = True
    primary = np.where(has_theme, classes[np.minimum(best, len(classes) - 1)], "").astype(object)
    return assigned, primary


def _f1(y: np.ndarray, predicted: np.ndarray) -> float:
    true_positive = float(np.sum(predicted & (y == 1)))
    return 2 * true_positive / max(float(predicted.sum() + y.sum()), 1.0)

"""Round-trip annotation tables through Label Studio (JSON tasks for text classification).

A team labels in Label Studio's browser interface; rolcov keeps the CSV as the source of truth. Export
writes one task per paragraph — gold rows as ``annotations`` (to review or correct), silver and model rows
as ``predictions`` (pre-annotations) — plus the labeling config the project needs. Import turns Label
Studio's JSON exports back into the annotation CSV format, one row per paragraph × coder.

The config has two controls on the text: ``labels`` (multiple choice: every theme, plus ``_none`` for a
paragraph explicitly judged to have none, codebook §4) and ``primary`` (single choice). An annotation without
a ``primary`` choice takes the first ``labels`` choice as primary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from pipeline.errors import AnnotationError
from pipeline.io.tables import atomic_path
from pipeline.schema import ANNOTATION_FILE_COLUMNS, join_labels, split_labels
from pipeline.taxonomy import Taxonomy

LABELS_CONTROL, PRIMARY_CONTROL, TEXT_OBJECT = "labels", "primary", "text"
NO_LABEL = "_none"  # label ids start with a letter, so this choice can never clash with one
TASK_FIELDS = ("report_id", "para_id", "part", "heading_path")


def labeling_config(taxonomy: Taxonomy) -> str:
    """Label Studio labeling config (XML) for the taxonomy: text, multi-choice themes, single-choice primary."""
    themes = [(label.id, f"{label.name_zh} / {label.name_en}") for label in taxonomy.labels]

    def choices(name: str, mode: str, options: Iterable[tuple[str, str]]) -> str:
        lines = [f"    <Choice value={quoteattr(value)} hint={quoteattr(hint)}/>" for value, hint in options]
        return "\n".join(
            [
                f'  <Choices name="{name}" toName="{TEXT_OBJECT}" choice="{mode}" showInline="true">',
                *lines,
                "  </Choices>",
            ]
        )

    return (
        "\n".join(
            [
                "<View>",
                '  <Header value="$heading_path"/>',
                f'  <Text name="{TEXT_OBJECT}" value="$text"/>',
                '  <Header value="主题 themes (codebook §3–4)"/>',
                choices(LABELS_CONTROL, "multiple", [*themes, (NO_LABEL, "无标签 / no theme")]),
                '  <Header value="主标签 primary (codebook §5)"/>',
                choices(PRIMARY_CONTROL, "single", themes),
                "</View>",
            ]
        )
        + "\n"
    )


def annotations_to_tasks(frame: pd.DataFrame, blind: bool = False) -> list[dict[str, Any]]:
    """One task per (report_id, para_id): gold rows become annotations, other sources predictions.

    ``blind=True`` leaves both out, so coders whose agreement is to be measured read each paragraph unprompted
    (a pre-filled guess that coders accept would inflate their agreement).
    """
    tasks = []
    for number, (_, rows) in enumerate(frame.groupby(["report_id", "para_id"], sort=False), start=1):
        first = rows.iloc[0]
        data = {"text": first["text"], **{field: str(first.get(field, "")) for field in TASK_FIELDS}}
        task: dict[str, Any] = {"id": number, "data": data, "annotations": [], "predictions": []}
        for _, row in [] if blind else rows.iterrows():
            labels = split_labels(row["labels"])
            if row["source"] == "gold":
                task["annotations"].append({"result": _result(labels, row["primary"])})
            else:
                task["predictions"].append(
                    {"model_version": row["annotator"], "result": _result(labels, row["primary"])}
                )
        tasks.append(task)
    return tasks


def _result(labels: list[str], primary: str) -> list[dict[str, Any]]:
    def choice(control: str, values: list[str]) -> dict[str, Any]:
        return {"from_name": control, "to_name": TEXT_OBJECT, "type": "choices", "value": {"choices": values}}

    result = [choice(LABELS_CONTROL, labels or [NO_LABEL])]
    if primary:
        result.append(choice(PRIMARY_CONTROL, [primary]))
    return result


def tasks_to_annotations(
    tasks: list[Mapping[str, Any]],
    source_file: str | Path,
    taxonomy: Taxonomy,
    annotator: str | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Annotation rows (``source=gold``) from a Label Studio JSON export, one per task × coder.

    When several coders annotate a task (Label Studio's "annotations per task" overlap), each keeps a row, so
    their agreement can be measured and their differences adjudicated. Per coder the latest annotation of a
    task counts (by ``updated_at``/``created_at``, else the last listed); cancelled (skipped) annotations and
    ones without a ``labels`` choice are ignored, as are tasks that only carry predictions.

    Parameters
    ----------
    tasks : list of mapping
        The export (:func:`read_tasks`).
    source_file : str or Path
        Named in error messages.
    taxonomy : Taxonomy
        The allowed choices.
    annotator : str or mapping, optional
        Who the coders are. ``None``: ``coder-<user>`` from each annotation's ``completed_by`` (user id or
        email). A name: every annotation's coder (refused when the export holds several users' work). A
        mapping from user (id or email, as text) to coder id: every user in the export must be in it.

    Raises
    ------
    AnnotationError
        A task misses ``report_id``/``para_id`` or uses a choice that is not a label id of ``taxonomy``; a user
        has no coder id (one line per user, naming a task they annotated).
    """
    return _export_rows(tasks, source_file, taxonomy, annotator)[list(ANNOTATION_FILE_COLUMNS)]


def read_exports(
    paths: Sequence[str | Path], taxonomy: Taxonomy, annotator: str | Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Annotation rows from several Label Studio exports (e.g. one per coder, or one per batch of tasks).

    A coder's annotation of a paragraph found in two exports counts once: the latest (a later file on a
    tie). ``annotator`` is as in :func:`tasks_to_annotations`, applied to each file.
    """
    frames = [
        _export_rows(read_tasks(path), path, taxonomy, annotator).assign(_file=order)
        for order, path in enumerate(paths)
    ]
    rows = pd.concat(frames, ignore_index=True).sort_values(["_when", "_file"], kind="stable")
    rows = rows.drop_duplicates(["report_id", "para_id", "annotator"], keep="last").sort_index()
    return rows[list(ANNOTATION_FILE_COLUMNS)].reset_index(drop=True)


def _export_rows(
    tasks: list[Mapping[str, Any]],
    source_file: str | Path,
    taxonomy: Taxonomy,
    annotator: str | Mapping[str, str] | None,
) -> pd.DataFrame:
    """The annotation rows plus ``task`` (its id, for messages) and ``_when`` (to keep the latest)."""
    rows = []
    for task in tasks:
        for user, annotation in _latest_per_user(task).items():
            rows.append(
                {
                    **_annotation_row(task, annotation, source_file, taxonomy),
                    "annotator": user,
                    "_when": _when(annotation),
                }
            )
    frame = pd.DataFrame(rows, columns=[*ANNOTATION_FILE_COLUMNS, "task", "_when"])
    frame["annotator"] = _coder_ids(frame, annotator, source_file)
    return frame


def _annotation_row(
    task: Mapping[str, Any], annotation: Mapping[str, Any], source_file: str | Path, taxonomy: Taxonomy
) -> dict[str, str]:
    choices = _choices(annotation)
    labels = [label for label in choices.get(LABELS_CONTROL, []) if label != NO_LABEL]
    unknown = sorted(set(labels + choices.get(PRIMARY_CONTROL, [])) - set(taxonomy.ids))
    data = task.get("data", {})
    if unknown or not data.get("report_id") or not data.get("para_id"):
        fix = (
            f"unknown choice {', '.join(unknown)}; the project's config must use the label ids "
            f"{', '.join(taxonomy.ids)}"
            if unknown
            else "the task has no report_id/para_id; create tasks with `rolcov export`"
        )
        raise AnnotationError(f"{source_file}: task {task.get('id')}: {fix}")
    primary = (choices.get(PRIMARY_CONTROL) or labels or [""])[0]
    return {
        "report_id": data["report_id"],
        "para_id": data["para_id"],
        "text": data.get("text", ""),
        "labels": join_labels(labels),
        "primary": primary,
        "part": data.get("part", ""),
        "source": "gold",
        "heading_path": data.get("heading_path", ""),
        "task": task.get("id"),
    }


def _latest_per_user(task: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Each user's latest submitted annotation of the task, keyed by the user (id or email, as text)."""
    latest: dict[str, tuple[tuple[str, int], Mapping[str, Any]]] = {}
    for order, annotation in enumerate(task.get("annotations") or []):
        if annotation.get("was_cancelled") or not _choices(annotation).get(LABELS_CONTROL):
            continue
        user, when = _user(annotation), (_when(annotation), order)
        if user not in latest or when >= latest[user][0]:
            latest[user] = (when, annotation)
    return {user: annotation for user, (_, annotation) in latest.items()}


def _choices(annotation: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        item.get("from_name"): list(item.get("value", {}).get("choices", []))
        for item in annotation.get("result") or []
        if item.get("type") == "choices"
    }


def _when(annotation: Mapping[str, Any]) -> str:
    return str(annotation.get("updated_at") or annotation.get("created_at") or "")


def _user(annotation: Mapping[str, Any]) -> str:
    """Label Studio's ``completed_by``: a user id, or (older exports) a user object with an email."""
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("id")
    return "" if who is None else str(who)


def _coder_ids(frame: pd.DataFrame, annotator: str | Mapping[str, str] | None, source_file: str | Path) -> list[str]:
    users = list(dict.fromkeys(frame["annotator"]))
    if annotator is None:
        return [f"coder-{user}" if user else "coder-unknown" for user in frame["annotator"]]
    if isinstance(annotator, str):
        if len(users) > 1:
            raise AnnotationError(
                f"{source_file}: annotations by {len(users)} users ({', '.join(users)}) but one "
                f"--annotator name; name each, e.g. --annotator {users[0]}=coder-a "
                f"--annotator {users[1]}=coder-b"
            )
        return [annotator] * len(frame)
    unknown = [user for user in users if user not in annotator]
    if unknown:
        first_task = {user: frame.loc[frame["annotator"] == user, "task"].iloc[0] for user in unknown}
        raise AnnotationError(
            "\n".join(
                f"{source_file}: task {first_task[user]}: annotated by user {user or '(none)'}, who has no coder id "
                f"(given: {', '.join(annotator)}); add --annotator {user or 'USER'}=NAME"
                for user in unknown
            )
        )
    return [annotator[user] for user in frame["annotator"]]


def read_tasks(path: str | Path) -> list[dict[str, Any]]:
    """Load a Label Studio JSON export (a list of tasks); raise AnnotationError if it is not one."""
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AnnotationError(
            f"{path}: not a readable JSON file ({error}); export the project as 'JSON' in Label Studio"
        ) from None
    except RecursionError:
        raise AnnotationError(
            f"{path}: nested too deep to be a Label Studio export; export the project as 'JSON' in Label Studio"
        ) from None
    if not isinstance(tasks, list):
        raise AnnotationError(f"{path}: expected a JSON list of tasks; export the project as 'JSON' (not JSON-MIN/CSV)")
    for number, task in enumerate(tasks, start=1):
        problem = _shape_problem(task)
        if problem:
            raise AnnotationError(
                f"{path}: task {number}: {problem}; export the project again as 'JSON' in Label Studio"
            )
    return tasks


def _shape_problem(task: object) -> str:
    """What in a task is not shaped as Label Studio exports it (only the parts import reads), or ``""``."""
    if not isinstance(task, dict):
        return f"a JSON {type(task).__name__}, not a task object"
    data, annotations = task.get("data", {}), task.get("annotations") or []
    if not isinstance(data, dict) or not isinstance(annotations, list):
        return "'data' must be an object and 'annotations' a list"
    if any(not isinstance(data.get(field, ""), (str, int, float)) for field in ("text", *TASK_FIELDS)):
        return f"the fields text, {', '.join(TASK_FIELDS)} of 'data' must be text"
    for annotation in annotations:
        result = annotation.get("result") or [] if isinstance(annotation, dict) else None
        if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
            return "an annotation must be an object whose 'result' is a list of objects"
        for item in result:
            choices = item.get("value", {}).get("choices", []) if isinstance(item.get("value", {}), dict) else None
            if not isinstance(choices, list) or not all(isinstance(choice, str) for choice in choices):
                return "a result's 'value' must be an object whose 'choices' is a list of label ids"
    return ""


def write_tasks(tasks: list[dict[str, Any]], config: str, path: str | Path) -> tuple[Path, Path]:
    """Write ``tasks`` as JSON and the labeling config next to it (``tasks.json`` → ``tasks.config.xml``)."""
    path = Path(path)
    config_path = path.with_suffix(".config.xml")
    for target, content in ((path, json.dumps(tasks, ensure_ascii=False, indent=1)), (config_path, config)):
        with atomic_path(target) as temporary:
            temporary.write_text(content, encoding="utf-8")
    return path, config_path

"""Where a report comes from and at which level of government: province, prefecture, county, 行政区划代码.

Researchers compare reports by region and level (county governments against city governments, one province
against another), but a report states its origin only as its issuer's name: 清河县人民政府, 中共西安市临潼区信访局党组,
巩义市. The names are looked up in a maintained gazetteer — the administrative divisions shipped with the
PyPI package ``jionlp`` (province → prefecture → county with 6-digit codes and short forms, their townships,
and the county-level renamings since 2002); ``bench/places.py`` compared it with ``cpca`` on the seeds and
the devset — so no table of places is written here. What *is* read from the name itself is the kind of body
(its ending: 人民政府, 司法局, 街道办事处 …), which no gazetteer holds.

Rules, so that nothing is guessed:

* A name that several places share (鼓楼区: Nanjing, Fuzhou, Xuzhou, Kaifeng) is resolved only if another
  name in the same phrase picks one (福州市鼓楼区); otherwise only what all candidates share is kept (their
  level, their province if they have one in common) and the name is reported as ``ambiguous``.
* A township name (…镇/乡/街道) missing from the gazetteer, or a phrase without any known place, leaves
  the place empty and is reported as ``unknown``; the level may still be known from the ending (桑柘镇 is a
  township wherever it is).
* Short forms (巩义 for 巩义市) count only at the start of a phrase, where an issuer's name stands.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from pipeline.text.normalize import normalize_text

#: The gazetteer package (PyPI ``jionlp``), chosen by ``bench/places.py``.
GAZETTEER = "jionlp"
#: Levels of government, from the top; ``department`` is a body of one of them (its ``place_level``).
LEVELS = ("province", "prefecture", "county", "township", "department")
#: Columns :func:`report_places` adds per report.
PLACE_COLUMNS = (
    "province",
    "city",
    "county",
    "admin_code",
    "level",
    "place_level",
    "department_kind",
    "place_source",
    "place_problem",
)

_TOWN_ENDINGS = ("镇", "乡", "街道", "苏木")
# Township governments and their offices: a 街道办事处 is the township-level government, not a department.
_TOWNSHIP_END = re.compile(r"(?:街道办事处|街道|镇|乡|苏木|街)(?:人民政府|政府|办事处|党委|党工委)?$")
_GOVERNMENT = re.compile(r"^(?:人民政府|政府|办事处|委|党委|市委|县委|区委|州委|省委)?$")
_GOVERNMENT_START = re.compile(r"^(?:人民政府|政府)")
# A development zone between the place and the body (武汉经开区统计局) is not part of the body's kind.
_ZONE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:经济技术开发区|经开区|高新技术产业开发区|高新区|开发区|新区)")
# A body of a government: ends in one of these (司法局, 卫生健康委, 人民政府办公室, 消防救援大队, 自然资源部).
_DEPARTMENT = re.compile(r"^(.*?(?:局|委员会|委|办公室|厅|部|署|中心|大队|支队|院|所|站|馆|办))(?:党组|党委)?")
# Wrappers around an issuer that do not change who it is: 中共…党组, two bodies signing together.
_PARTY_PREFIX = re.compile(r"^中共")
_PARTY_SUFFIX = re.compile(r"(?:党组|党委|党工委)$")
# Where the issuer's part of a title ends: 关于, a year, or the report's own words.
_TITLE_ISSUER_END = re.compile(r"关于|(?:19|20)[\dxX]{2}|年度|法治|依法行政|近年|上半年")
# The opening sentence names its issuer first: "2022年,清河县人民政府坚持…", "今年以来,巩义市全面…".
_OPENING_PREFIX = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年(?:度|以来)?|今年以来|[一二]〇[一二〇三四五六七八九]{2}年)\s*[,，]?\s*"
)
_OPENING_CHARS = 40
# 县教育局 is a county's department; 市 is not read (a 市 may be a prefecture or a county-level city).
_GENERIC_PLACE = {"省": "province", "州": "prefecture", "县": "county", "区": "county"}
_SKIP_NAMES = ("直辖", "中沙群岛")


@dataclass(frozen=True)
class Place:
    """One administrative division of the gazetteer.

    Attributes
    ----------
    level : str
        ``province``, ``prefecture``, ``county`` or ``township``.
    code : str
        6-digit 行政区划代码 of the division, or of its county for a township (the gazetteer has no town codes).
    province, city, county, town : str
        Its name and its parents' names; ``city`` is the 直辖市 for its districts, ``""`` for a county-level
        city that a province administers directly (仙桃市).
    """

    level: str
    code: str
    province: str
    city: str = ""
    county: str = ""
    town: str = ""

    def contains(self, other: Place) -> bool:
        """True if ``other`` is this division or lies inside it."""
        mine = (self.province, self.city, self.county, self.town)[: LEVELS.index(self.level) + 1]
        theirs = (other.province, other.city, other.county, other.town)[: len(mine)]
        return LEVELS.index(other.level) >= LEVELS.index(self.level) and mine == theirs


@dataclass(frozen=True)
class ReportPlace:
    """Where one report's issuer sits: the :data:`PLACE_COLUMNS` of :func:`report_places`.

    ``place_source`` says which text gave the place (``issuer``, ``title``, ``opening``), ``place_problem``
    why a place stayed empty (``ambiguous: 鼓楼区 (4 places)``, ``unknown: 桑柘镇``), else ``""``.
    """

    province: str = ""
    city: str = ""
    county: str = ""
    admin_code: str = ""
    level: str = ""
    place_level: str = ""
    department_kind: str = ""
    place_source: str = ""
    place_problem: str = ""


class Gazetteer:
    """Place names → divisions, and the phrase reader that resolves an issuer's name.

    Parameters
    ----------
    places : iterable of (name, Place, is_short_form)
        Every name a division goes by; a name may map to several divisions.
    """

    def __init__(self, places: Iterable[tuple[str, Place, bool]]) -> None:
        self.full: dict[str, list[Place]] = defaultdict(list)
        self.short: dict[str, list[Place]] = defaultdict(list)
        for name, place, is_short in places:
            index = self.short if is_short else self.full
            if place not in index[name]:
                index[name].append(place)
        self.lengths = sorted({len(name) for name in (*self.full, *self.short)}, reverse=True)

    def mentions(self, phrase: str) -> list[tuple[int, str, list[Place]]]:
        """Place names in ``phrase``, longest first at each position, left to right: (start, name, places)."""
        found, start = [], 0
        while start < len(phrase):
            hit = self._longest_at(phrase, start)
            if hit is None:
                start += 1
                continue
            found.append((start, hit[0], hit[1]))
            start += len(hit[0])
        return found

    def _longest_at(self, phrase: str, start: int) -> tuple[str, list[Place]] | None:
        for length in self.lengths:
            name = phrase[start : start + length]
            if len(name) < length:
                continue
            if name in self.full:
                return name, self.full[name]
            if start == 0 and name in self.short:
                return name, self.short[name]
        return None

    def resolve(self, phrase: str) -> ReportPlace:
        """Read place, level and kind of body from one issuer phrase (see the module docstring)."""
        phrase = clean_issuer(phrase)
        if not phrase:
            return ReportPlace()
        mentions = self.mentions(phrase)
        if mentions:
            tail = phrase[mentions[-1][0] + len(mentions[-1][1]) :]
        else:
            tail = phrase[1:] if phrase[:1] in "省市县区州" and len(phrase) > 2 else phrase
        place, problem = _pick_place([places for _, _, places in mentions], [n for _, n, _ in mentions])
        level, kind = _level_and_kind(tail, _first_body(phrase, mentions), place)
        if level == "township" and (place is None or place.level != "township") and not problem:
            problem = f"unknown: {_GOVERNMENT_START.sub('', tail)}"
        elif place is None and level and not problem:
            problem = f"no place: {phrase}"
        place_level = place.level if place is not None else ""
        if not mentions and level == "department":
            place_level = _GENERIC_PLACE.get(phrase[:1], "")
        return _report_place(place, level, place_level, kind, problem)


def clean_issuer(phrase: str) -> str:
    """The issuer's own name: normalized, pinyin glosses and 中共…党组 wrappers dropped, the last of joint signers."""
    text = normalize_text(str(phrase or "")).strip()
    text = re.split(r"[\s、,，;；]+", text)[-1] if text else ""
    return _PARTY_SUFFIX.sub("", _PARTY_PREFIX.sub("", text))


def _pick_place(candidates: list[list[Place]], names: list[str]) -> tuple[Place | None, str]:
    """The deepest division every mention agrees on; ``(None, "ambiguous: …")`` when a name stays shared."""
    if not candidates:
        return None, ""
    consistent = [[p for p in places if all(_related(p, other) for other in candidates)] for places in candidates]
    consistent = [places or original for places, original in zip(consistent, candidates)]
    deepest = max(range(len(consistent)), key=lambda i: max(LEVELS.index(p.level) for p in consistent[i]))
    choices = consistent[deepest]
    if len(choices) == 1:
        return choices[0], ""
    shared = _shared_parent(choices)
    return shared, f"ambiguous: {names[deepest]} ({len(choices)} places)"


def _related(place: Place, others: list[Place]) -> bool:
    return any(place.contains(other) or other.contains(place) for other in others)


def _shared_parent(choices: list[Place]) -> Place | None:
    """What every candidate has in common (their province, or their prefecture), with the candidates' level."""
    level = choices[0].level if len({p.level for p in choices}) == 1 else ""
    provinces = {p.province for p in choices}
    if len(provinces) != 1:
        return Place(level=level, code="", province="") if level else None
    cities = {p.city for p in choices}
    return Place(level=level or "", code="", province=provinces.pop(), city=cities.pop() if len(cities) == 1 else "")


def _level_and_kind(tail: str, first_body: str, place: Place | None) -> tuple[str, str]:
    """Level of the issuer and, for a department, its kind, read from what follows its place names.

    ``tail`` follows the last place name (街道办事处 of 鲤城区人民政府金龙街道办事处), ``first_body`` the first
    (公安局 of 广州市公安局增城区分局: a department of Guangzhou's 增城区 branch).
    """
    if _TOWNSHIP_END.search(tail) or (place is not None and place.level == "township" and _GOVERNMENT.match(tail)):
        return "township", ""
    for text in (first_body, tail):
        department = _DEPARTMENT.match(text)
        if department and not _GOVERNMENT.match(department.group(1)):
            return "department", _ZONE_PREFIX.sub("", department.group(1))
    if place is not None and place.level and _GOVERNMENT.match(tail):
        return place.level, ""
    return "", ""


def _first_body(phrase: str, mentions: Sequence[tuple[int, str, list[Place]]]) -> str:
    """The text right after the first run of place names, up to the next place name."""
    if not mentions:
        return ""
    end = mentions[0][0] + len(mentions[0][1])
    for start, name, _ in mentions[1:]:
        if start != end:
            return phrase[end:start]
        end = start + len(name)
    return phrase[end:]


def _report_place(place: Place | None, level: str, place_level: str, kind: str, problem: str) -> ReportPlace:
    if place is None:
        return ReportPlace(level=level, place_level=place_level, department_kind=kind, place_problem=problem)
    county = place.county if place.level in ("county", "township") else ""
    return ReportPlace(
        province=place.province,
        city=place.city,
        county=county,
        admin_code=place.code,
        level=level,
        place_level=place_level,
        department_kind=kind,
        place_problem=problem,
    )


def resolve_report(
    issuer: str = "", title: str = "", opening: str = "", gazetteer: Gazetteer | None = None
) -> ReportPlace:
    """Place and level of one report from its issuer, title and opening, tried in that order.

    The first text that names a place gives it; failing that, the first that gives a level (县教育局: a
    department, place unknown). ``place_source`` names the text used.

    Parameters
    ----------
    issuer, title, opening : str
        The report's ``issuer`` and ``title`` columns and its first paragraph(s).
    gazetteer : Gazetteer, optional
        Default :func:`default_gazetteer`.
    """
    gazetteer = gazetteer or default_gazetteer()
    phrases = {"issuer": issuer, "title": _title_issuer(title), "opening": _opening_issuer(opening)}
    results = {source: _cached_resolve(gazetteer, text) for source, text in phrases.items() if text}
    for source, result in results.items():
        if result.province:
            return replace(result, place_source=source)
    for source, result in results.items():
        if result.level or result.place_problem:
            return replace(result, place_source=source)
    return ReportPlace()


@lru_cache(maxsize=65536)
def _cached_resolve(gazetteer: Gazetteer, phrase: str) -> ReportPlace:
    """Issuers repeat across a corpus's years and copies; each distinct phrase is read once."""
    return gazetteer.resolve(phrase)


def _title_issuer(title: str) -> str:
    text = normalize_text(str(title or "")).strip()
    match = _TITLE_ISSUER_END.search(text)
    return text[: match.start()].strip() if match else ""


def _opening_issuer(opening: str) -> str:
    """The subject of the opening sentence when a place name starts it (after a leading year), else ``""``."""
    text = normalize_text(str(opening or "")).strip()
    text = _OPENING_PREFIX.sub("", text, count=1)[:_OPENING_CHARS]
    head = re.split(r"[,，。;；:：、]", text, maxsplit=1)[0]
    mentions = default_gazetteer().mentions(head)
    if not mentions or mentions[0][0] != 0:
        return ""
    verb = re.search(r"(?:人民政府|政府|局|委员会|办公室)", head)
    return head[: verb.end()] if verb else head[: mentions[-1][0] + len(mentions[-1][1])]


def report_places(paragraphs: pd.DataFrame, gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """One row per report of a paragraph table: ``report_id`` and the :data:`PLACE_COLUMNS`.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        A paragraph table (``report_id``, ``text``; ``issuer`` and ``title`` when present), paragraphs in
        reading order; the first two paragraphs of a report are its opening.
    gazetteer : Gazetteer, optional
        Default :func:`default_gazetteer`.
    """
    columns = [c for c in ("issuer", "title") if c in paragraphs.columns]
    grouped = paragraphs.groupby("report_id", sort=False)
    first = grouped[columns].first() if columns else pd.DataFrame(index=grouped.size().index)
    opening = grouped["text"].agg(lambda texts: "".join(str(t) for t in texts.iloc[:2]))
    rows = []
    for report_id in first.index:
        meta = first.loc[report_id]
        place = resolve_report(
            str(meta.get("issuer", "") or ""), str(meta.get("title", "") or ""), str(opening.loc[report_id]), gazetteer
        )
        rows.append({"report_id": report_id, **place.__dict__})
    return pd.DataFrame(rows, columns=["report_id", *PLACE_COLUMNS])


def place_summary(places: pd.DataFrame) -> str:
    """One line for a run's summary: how many reports got a province and a level, what stayed empty and why."""
    n = len(places)
    problems = places["place_problem"].fillna("")
    ambiguous = problems.str.startswith("ambiguous").sum()
    unknown = problems.str.startswith("unknown").sum()
    no_issuer = ((places["level"].fillna("") == "") & (problems == "")).sum()
    return (
        f"places: province for {int((places['province'].fillna('') != '').sum())} of {n} reports, level for "
        f"{int((places['level'].fillna('') != '').sum())}; left empty: {int(ambiguous)} ambiguous name(s), "
        f"{int(unknown)} unknown, {int(no_issuer)} naming no issuer (see place_problem in panel.csv)"
    )


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer of :data:`GAZETTEER`, built once per process (about 2 s)."""
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints a banner on import
        import jionlp
    tree = jionlp.china_location_loader(detail=True)
    return Gazetteer([*_divisions(tree), *_renamed(jionlp.china_location_change_loader(), tree)])


def _divisions(tree: dict) -> Iterable[tuple[str, Place, bool]]:
    for province, p in tree.items():
        code = p["_admin_code"]
        yield from _names(province, [p["_alias"]], Place("province", code, province))
        for city, c in _children(p):
            own_city = city != province  # a 直辖市 repeats itself as its only prefecture
            city_name = city if not city.endswith("直辖行政区划") else ""
            if own_city and city_name:
                yield from _names(city, c["_alias"], Place("prefecture", c["_admin_code"], province, city))
            for county, k in _children(c):
                place = Place("county", k["_admin_code"], province, city_name, county)
                yield from _names(county, [k["_alias"]], place)
                for town, _ in _children(k, towns=True):
                    yield town, replace(place, level="township", town=town), False


def _children(node: dict, towns: bool = False) -> Iterable[tuple[str, dict]]:
    for name, child in node.items():
        if name.startswith("_") or any(skip in name for skip in _SKIP_NAMES):
            continue
        if towns and not any(name.endswith(end) and len(name) > len(end) for end in _TOWN_ENDINGS):
            continue
        yield name, child


def _names(name: str, aliases: Sequence[str], place: Place) -> Iterable[tuple[str, Place, bool]]:
    yield name, place, False
    for alias in aliases:
        if alias and len(alias) >= 2 and alias != name:
            yield alias, place, True


def _renamed(changes: list[dict], tree: dict) -> Iterable[tuple[str, Place, bool]]:
    """Former names (襄樊市, 江干区) → today's division, so that a 2016 report still finds its place."""
    for change in changes:
        province, city, county = change["new_loc"]
        old_city, old_county = change["old_loc"][1][0], change["old_loc"][2][0]
        node = tree.get(province, {}).get(city)
        if node is None:
            continue
        if county is None:
            yield old_city, Place("prefecture", node["_admin_code"], province, city), False
        elif county in node:
            code = node[county]["_admin_code"]
            yield old_county, Place("county", code, province, city, county), False

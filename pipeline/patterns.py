"""The heading and lead-sentence patterns of a report, defined once for every stage that needs them.

Chinese official reports number their headings in a fixed order — ``一、`` (or ``第一部分``) > ``（一）`` >
``1.`` > ``（1）`` — and open many paragraphs with a lead sentence. Three stages look for these marks, each
asking a different question, so the module holds one pattern per question, all built from the same numerals:

* :data:`HEADING_MARKERS` (segmentation): which rank of heading a *normalized* line opens with, anchored at
  the start; ``1.`` must not be a decimal (``1.5``).
* :data:`INLINE_MARKER` (line-break repair, on raw text where full-width brackets survive): where a numbered
  heading or an enumeration item (``一是``) starts *inside* a line that lost its breaks; named groups give
  the level and the numeral so the repair can check that numbers run in sequence.
* :data:`TITLE_HEADING_START` (metadata): a loose test that a candidate title line is rather a heading —
  any opening bracket counts, since a title never starts with one.
* :data:`PART_CUES`, :data:`PLANS_OPENING`, :data:`CLOSING_OPENING` (segmentation, required contents): which
  report part a heading names in words, and the openings that start the plans or the closing without one.
* :data:`ENUMERATION_START` (enumeration items): where ``一是…``/``1.…`` items start inside a paragraph.
* :data:`MAX_HEADING_CHARS`, :data:`MAX_LEAD_CHARS` (segmentation and line-break repair): how long a heading
  and a lead can be.

A lead and a first sentence are two ideas:

* :data:`LEAD_END` (segmentation): where an inline heading (``（一）深化行政审批制度改革。``) that opens a
  paragraph ends — also where an enumeration (``一是…``) starts without a full stop, so that a heading is not
  run into its first item. The paragraph table carries it as ``lead`` (empty when the paragraph has none).
* :data:`FIRST_SENTENCE_END` (the model's first-sentence block): where any paragraph's first sentence ends,
  at punctuation only; the model reads it whether or not the paragraph opens with a heading.
"""

from __future__ import annotations

import re

#: Chinese numerals as they number headings and items.
CHINESE_NUMERALS = "一二三四五六七八九十"
_NUM = f"[{CHINESE_NUMERALS}]+"

#: Heading markers with their conventional rank; matched on normalized text, so full-width forms are covered.
HEADING_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^(第{_NUM}部分|{_NUM}\s*、)\s*")),
    (2, re.compile(rf"^\(\s*{_NUM}\s*\)\s*")),
    (3, re.compile(r"^\d{1,2}\s*(?:[.、](?!\d))\s*")),
    (4, re.compile(r"^\(\s*\d{1,2}\s*\)\s*")),
)

#: A heading or enumeration marker anywhere in raw text: group ``l<level>`` is the marker, ``n<level>`` its
#: number (level 5 is ``一是``); half- and full-width brackets, since the text is not normalized yet.
INLINE_MARKER = re.compile(
    rf"(?P<l1>第(?P<n1>{_NUM})部分|(?P<m1>{_NUM})、)"
    rf"|(?P<l2>[(（](?P<n2>{_NUM})[)）])"
    r"|(?P<l3>(?P<n3>\d{1,2})[.、．](?!\d))"
    r"|(?P<l4>[(（](?P<n4>\d{1,2})[)）])"
    rf"|(?P<l5>(?P<n5>[{CHINESE_NUMERALS}])是)"
)

#: How the name of a government body ends (柳城县人民政府, 某某市司法局, 金龙街道办事处, 信访局党组): what a
#: signature line, a page's ``ContentSource`` and a report's issuer are recognised by.
BODY_NAME_END = r"(?:人民政府|政府|委员会|办公室|办公厅|办事处|党组|党委|分局|大队|支队|中心|[局厅委办院部处所])"
#: How a place ends (桑柘镇, 闵行区, 沅江路街道): a report titled by its place names its government so.
PLACE_NAME_END = r"(?:街道|[镇乡区县市州盟旗省街])"

#: Pinyin glosses a mirror site puts after characters (领(lǐng)导; matched on normalized text): not part of the
#: text, and they split words, so names, task cues and evidence are read without them.
PINYIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zü\u00e0-\u01dc]{1,6}\)")

#: A line that starts like a heading, so is not a report title.
TITLE_HEADING_START = re.compile(rf"^({_NUM}、|\(|\d+[.、])")

#: Where a segmentation lead phrase ends: the first full stop, or where an enumeration (一是…) starts.
LEAD_END = re.compile(r"[。:;!?]|(?=一是)")
#: Where a paragraph's first sentence ends, for the model (see the module docstring).
FIRST_SENTENCE_END = re.compile(r"[。;:!?]")

#: A heading and its lead are short: a longer line is a paragraph (segmentation), and a line-less report is
#: not cut into one (line-break repair).
MAX_HEADING_CHARS = 60
MAX_LEAD_CHARS = 45

#: The report part a heading names, first match wins (segmentation, required contents). Synonyms are those
#: reports use for the rule's required parts (存在的问题, 不足之处, 问题与差距, 下步工作打算, 下一阶段,
#: 主要负责同志履职…); "补(齐)短板" is work done, not a problem.
PART_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("responsibility", re.compile(r"第一责任人|主要负责(人|同志)履(行|职)")),
    (
        "problems",
        re.compile(
            r"(存在|面临)的?(主要)?(问题|不足|困难|差距)|问题(和|与|及)(原因|不足|差距|挑战)|"
            r"不足(和|与|及)(原因|差距|问题)|(差距|困难)(和|与|及)(不足|问题)|不足之处|"
            r"(?<!补)(?<!补齐)短板"
        ),
    ),
    # a heading that reports what was done is achievements even when it names the year's "重点工作"
    ("achievements", re.compile(r"举措|成效|完成情况|进展情况|开展情况|落实情况")),
    (
        "plans",
        re.compile(
            r"下一?步|下一?阶段|下一年|今后|明年|(\d{4}|年度)\S{0,12}(工作)?(思路|计划|安排|打算|设想|重点|展望)|"
            r"工作(思路|打算|安排|计划|设想)|努力方向"
        ),
    ),
)
#: Openings of a paragraph that begins the plans or the closing part without a heading of its own.
PLANS_OPENING = re.compile(r"^(下一步|下一年度?|今后|\d{4}年,?我们将)")
CLOSING_OPENING = re.compile(r"^(特此报告|以上报告|专此报告)")

#: Where an enumeration item starts (一是…, 第一, 1., (1)) after the start of a text or a clause end, so that
#: numbers inside a sentence ("共3.5万件") do not start one.
ENUMERATION_START = re.compile(
    rf"(?:^|(?<=[。;；:：,，]))\s*(?=[{CHINESE_NUMERALS}]是|第[{CHINESE_NUMERALS}][,，、]|\d{{1,2}}[.、](?!\d)|[(（]\d{{1,2}}[)）])"
)

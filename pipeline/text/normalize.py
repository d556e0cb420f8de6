"""The one normalized form of report text that every stage reads: equivalent reports give identical text.

Reports of one kind arrive in many surface forms: full-width letters, digits and punctuation (``（一）``,
``２０１９``), traditional characters from a Big5 source or a mirror site, and pinyin glosses that mirror sites
print after characters (``領(lǐng)導``). Cleaning, headings, metadata, places, cue terms, evidence and model
features all read the normalized form, so a rule written once matches every variant; the original text stays
in the paragraph table for people to read.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

from pipeline.patterns import PINYIN_GLOSS


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize_text(text: str) -> str:
    """NFKC width folding, OpenCC traditional → simplified, pinyin glosses dropped.

    NFKC first, so that a gloss in full-width brackets is matched by :data:`pipeline.patterns.PINYIN_GLOSS`;
    the gloss is dropped last, since it splits the words and n-grams it sits between.
    """
    return PINYIN_GLOSS.sub("", _t2s().convert(unicodedata.normalize("NFKC", text)))

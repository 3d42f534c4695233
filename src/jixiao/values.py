"""Parsing of printed values: indicator values ("≥90%", "不低于3次", "当年完成") and fund amounts.

One parser serves every backend: the rules extractor uses it to fill operator/value/unit, and the
checker re-derives the same fields from an LLM's value_text with it, so the two can be compared.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple



def squash(text: str | None) -> str:
    """Remove all whitespace (the contract keeps every other character as printed)."""
    # str.split() cuts at exactly the characters \s matches (str.isspace), several times faster
    return "".join(text.split()) if text else ""


@lru_cache(maxsize=8192)  # the same labels recur on every page of a long document
def fold(text: str) -> str:
    """NFKC and no whitespace: the form used for matching labels, never for output."""
    return squash(unicodedata.normalize("NFKC", text))


def tidy_number(x: float) -> int | float:
    """Integers stay integers (10, not 10.0); floats lose binary noise (4.83, not 4.8300000001)."""
    x = round(x, 6)
    return int(x) if x == int(x) else x


class Parsed(NamedTuple):
    operator: str | None
    value: int | float | None
    unit: str | None


QUALITATIVE = Parsed(None, None, None)

# Order matters: longer spellings first so that "不低于" is not read as "低于".
_PREFIX_OPS = [
    ("大于或等于", "≥"), ("大于等于", "≥"), ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"),
    ("至少", "≥"), ("达到", "≥"), ("小于或等于", "≤"), ("小于等于", "≤"), ("不高于", "≤"),
    ("不超过", "≤"), ("不大于", "≤"), ("不多于", "≤"), ("最多", "≤"), ("控制在", "≤"),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), ("多于", ">"), ("小于", "<"), ("低于", "<"),
    ("少于", "<"), ("等于", "="),
    (">=", "≥"), ("=>", "≥"), ("<=", "≤"), ("=<", "≤"),
    ("≥", "≥"), ("≧", "≥"), ("⩾", "≥"), ("≤", "≤"), ("≦", "≤"), ("⩽", "≤"),
    (">", ">"), ("<", "<"), ("=", "="),
]
_SUFFIX_OPS = [("及以上", "≥"), ("以上", "≥"), ("及以下", "≤"), ("以下", "≤"), ("以内", "≤"), ("之内", "≤")]

_NUMBER = re.compile(r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?")
# Dates and periods are qualitative in the contract: "每年12月底前", "2023.07-2024.01", "2024年".
_DATE = re.compile(
    r"\d{4}\s*年|(?<![\d.])(?:19|20)\d{2}[./-]\d{1,2}|(?<![个\d])\d{1,2}\s*月(?!份?$)|\d{1,2}\s*日前|第[一二三四1-4]季度"
)


@lru_cache(maxsize=8192)  # the same values (100%, ≥95%, 满意) recur in every table; Parsed is immutable
def parse_value(text: str | None) -> Parsed:
    """Derive (operator, value, unit) from a value cell, following the output contract.

    Anything that is not one number with an optional comparison and unit -- words, dates,
    periods, ranges -- is qualitative and gives three nulls rather than a guess.
    """
    # NFKC first: it turns full-width digits, ％ and ＞＝ into ASCII (≥ and ≤ are untouched), and
    # it can itself produce whitespace ("´" -> " ́"), which squashing afterwards removes.
    s = squash(unicodedata.normalize("NFKC", text or "")).replace("％", "%")
    if not s:
        return QUALITATIVE
    if _DATE.search(s):
        return QUALITATIVE
    numbers = _NUMBER.findall(s)
    if len(numbers) != 1:
        return QUALITATIVE
    op = None
    for word, sym in _PREFIX_OPS:
        if s.startswith(word):
            op, s = sym, s[len(word):]
            break
    m = _NUMBER.match(s)
    if not m:  # words before the number that we do not know: do not guess an operator
        return QUALITATIVE
    value = tidy_number(float(m.group().replace(",", "")))
    rest = s[m.end():]
    for word, sym in _SUFFIX_OPS:
        if rest.endswith(word):
            rest = rest[: -len(word)]
            op = op or sym
            break
    unit = rest.strip("（）()[]【】,，;；。.:：") or None
    if unit is not None and _NUMBER.search(unit):
        return QUALITATIVE
    return Parsed(op or "=", value, unit)


# ---------------------------------------------------------------------------------------------
# Fund amounts

_AMOUNT = re.compile(r"(-?\d+(?:,\d{3})*(?:\.\d+)?)\s*(亿元|亿|万元|万|千元|元)?")
TO_WAN = {"亿元": 10000.0, "亿": 10000.0, "万元": 1.0, "万": 1.0, "千元": 0.1, "元": 0.0001}  # money units -> 万元


def parse_amount(text: str | None, default_unit: str = "万元") -> int | float | None:
    """A fund amount in 万元: "4.83万" -> 4.83, "48300元" -> 4.83, "1.2亿元" -> 12000.

    default_unit is the unit the block's label states ("项目资金（万元）"), used for bare numbers.
    """
    s = unicodedata.normalize("NFKC", squash(text))
    m = _AMOUNT.search(s)
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))
    unit = m.group(2) or default_unit
    return tidy_number(number * TO_WAN.get(unit, 1.0))

"""Compiled patterns, built from the vocabulary when it changes.

The vocabulary is plain data; the readers ask here for its patterns.  They are rebuilt whenever an
entry is added to a vocabulary table (its sizes are the cache key), so extending the vocabulary
needs no code.  After replacing a spelling in place, call reset().

While one chunk is read (`pinned()`, held by the parser) the vocabulary is taken as fixed: the
readers ask for patterns about 80 times a table, and working out the vocabulary's sizes on each
ask was a tenth of the reading time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from . import vocabulary as V

# an optional bracketed qualifier after a label: （含本级和市县）, (2024-2026年), (万元)
QUALIFIER = r"(?:[（(][^（()）]{0,24}[）)])?"


def _loose(spelling: str) -> str:
    """A spelling written for folded text, made to match raw text too (full-width brackets and colons)."""
    return (spelling.replace(r"\(", "[（(]").replace(r"\)", "[）)]").replace("[:]", "[:：]")
            .replace("[(]", "[（(]").replace("[)]", "[）)]"))


def _alternatives(spellings: list[str]) -> str:
    return "|".join(_loose(s) for s in sorted(spellings, key=len, reverse=True))


def _signature() -> tuple[int, ...]:
    return (len(V.HEAD_KEYS), *(len(v) for v in V.HEAD_KEYS.values()), len(V.FUND_KEYS),
            *(len(v) for v in V.FUND_KEYS.values()), *(len(v) for v in V.GOAL_KEYS.values()), len(V.FUND_STARTS),
            len(V.COLUMNS), len(V.LEVEL1), len(V.LEVEL2_KEYWORDS), len(V.FOREIGN_LEVELS), len(V.NOTE_STARTS), len(V.SIGN_OFF),
            len(V.QUALITATIVE_WORDS), len(V.OPERATOR_WORDS))


class Patterns:
    """Every pattern the readers use, for one state of the vocabulary."""

    def __init__(self) -> None:
        self.head_kinds = list(V.HEAD_KEYS)
        self.head = re.compile("|".join(f"(?P<h{i}>{_alternatives(v)}){QUALIFIER}"
                                        for i, v in enumerate(V.HEAD_KEYS.values())))
        self.head_start = re.compile("^(?:" + "|".join(_alternatives(v) for v in V.HEAD_KEYS.values()) + ")")
        self.fund_kinds = list(V.FUND_KEYS)
        self.fund = re.compile("|".join(f"(?P<f{i}>{_alternatives(v)})(?P<q{i}>{QUALIFIER})"
                                        for i, v in enumerate(V.FUND_KEYS.values())))
        self.fund_start = re.compile(_alternatives(V.FUND_STARTS))
        self.own_level = re.compile(_alternatives(V.OWN_LEVEL_WORDS))
        self.period = re.compile("^(?:" + _alternatives(V.PERIOD_WORDS) + ")")
        units = "|".join(V.AMOUNT_UNITS)
        self.fund_unit = re.compile(rf"[（(]\s*({units})\s*[）)]|单位[：:]\s*({units})")
        self.unit_line = re.compile(rf"(?:金额|资金)?单位[：:]({units})")
        self.goal_kinds = list(V.GOAL_KEYS)
        self.goal = re.compile("|".join(f"(?P<g{i}>{_alternatives(v)}){QUALIFIER}"
                                        for i, v in enumerate(V.GOAL_KEYS.values())))
        self.note = re.compile("^(?:" + _alternatives(V.NOTE_STARTS) + ")")
        self.sign_off = re.compile("^(?:" + _alternatives(V.SIGN_OFF) + ")")
        self.qualitative_words = sorted(V.QUALITATIVE_WORDS, key=len, reverse=True)
        # every label the vocabulary knows, for cutting cells that were run together
        column_labels = [re.escape(k) for k in V.COLUMNS if len(k) >= 3]
        level_labels = [re.escape(k) for k in list(V.LEVEL1) + list(V.FOREIGN_LEVELS) if len(k) >= 4]
        self.any_label = re.compile(_alternatives(
            [s for v in V.HEAD_KEYS.values() for s in v] + [s for v in V.GOAL_KEYS.values() for s in v]
            + column_labels + level_labels))


@lru_cache(maxsize=4)
def _build(_sig: tuple[int, ...]) -> Patterns:
    return Patterns()


_pinned: ContextVar[Patterns | None] = ContextVar("jixiao_rules_patterns", default=None)


def patterns() -> Patterns:
    return _pinned.get() or _build(_signature())


@contextmanager
def pinned() -> Iterator[Patterns]:
    """The patterns of the vocabulary as it is now, for every ask until the block ends."""
    token = _pinned.set(patterns())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(token)


def reset() -> None:
    _build.cache_clear()
    from . import coverage, labels
    labels.reset()
    coverage.reset()

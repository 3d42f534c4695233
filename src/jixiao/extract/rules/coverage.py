"""How much of its source a reading accounted for, and what it did not understand.

After a table is read, every character of the rows the readers saw (the heading down to the notes
under the table) is either accounted for -- it is part of an extracted value or a label the
vocabulary knows -- or left over.  Left-over pieces are what the reading did not understand:
a short piece with no digit above the grid is an unknown label; a piece holding a digit in the
funds or the indicator grid is a value that was lost.  The checker turns these into EXTRACT-01.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ...document import Row
from ...models import TableData
from ...values import fold
from . import vocabulary as V
from .labels import is_level_label
from .patterns import patterns
from .sections import Section

# Coverage below this is worth a person's look even when no single piece stands out.
MIN_COVERAGE = 0.5
_NOISE = re.compile(r"[\s|:：;；,，。、()（）\[\]【】\"“”'‘’*＊_\-—/~]+|(?<!\d)\.|\.(?!\d)")


_CODE = re.compile(r"^(?:[\[【(（]\d{3,}[\]】)）]|\d{3,}[-_—])(?=\D)")  # a budget code before a name
_SLOT_MARK = re.compile(r"(?:指标|目标)\d+|含本级(?:和市县)?(?:目标)?")


@lru_cache(maxsize=8192)  # cell texts and labels recur from table to table, as in fold()
def _norm(text: str) -> str:
    return _NOISE.sub("", fold(text))


@lru_cache(maxsize=8192)  # made once a text: the same cells (labels, 指标N, values) are in every table
def _forms(raw: str) -> tuple[str, tuple[tuple[str, str], ...] | None, str | None]:
    """A cell's text normalised, and what measure() needs of its space-separated tokens with any
    budget code before them cut: for one token, that token normalised (tokens None); for several,
    each token's normal form (to match what was left out) and its text without the code."""
    text = _norm(raw)
    tokens = raw.split()
    if len(tokens) == 1:
        bare = _CODE.sub("", tokens[0])
        return text, None, text if bare == tokens[0] else _norm(bare)
    return text, tuple((_norm(t), _CODE.sub("", t)) for t in tokens), None


@dataclass
class Reading:
    coverage: float
    unknown_labels: list[str] = field(default_factory=list)
    lost_values: list[str] = field(default_factory=list)

    @property
    def unsure(self) -> bool:
        return self.coverage < MIN_COVERAGE or bool(self.unknown_labels or self.lost_values)


def _known_strings(table: TableData) -> set[str]:
    out = [table.title, table.project_name, table.competent_department, table.implementing_unit,
           table.project_attribute, table.project_period, *table.overall_goals, *table.annual_goals]
    for ind in table.indicators:
        out += [ind.name, ind.value_text, ind.unit]
    return {n for s in out if s and (n := _norm(s))}


def _vocabulary_key() -> tuple:
    """The state of the vocabulary tables the labels below come from (an entry added, a table replaced)."""
    tables = (V.COLUMNS, V.LEVEL1, V.FOREIGN_LEVELS, V.IGNORED_TEXT, V.HEAD_KEYS, *V.HEAD_KEYS.values())
    return tuple((id(t), len(t)) for t in tables)


def _order(s: str) -> tuple[int, str]:
    # longest first (a longer label holds shorter ones); ties in a fixed order, so a reading does
    # not depend on the hash seed of the process
    return -len(s), s


@lru_cache(maxsize=4)
def _vocabulary_labels(_key: tuple) -> tuple[frozenset[str], list[tuple[int, str]], dict[str, list[str]]]:
    """Every label of the vocabulary, normalised, as a set, in cutting order (keyed), and by their
    first character: the same for every table, so made once."""
    labels = [k for k in V.COLUMNS] + list(V.LEVEL1) + list(V.FOREIGN_LEVELS) + list(V.IGNORED_TEXT)
    labels += [re.sub(r"[\\()?:|\[\]]", "", s) for v in V.HEAD_KEYS.values() for s in v if "(" not in s]
    found = frozenset(n for s in labels if s and (n := _norm(s)))
    ordered = sorted(_order(s) for s in found)
    by_first: dict[str, list[str]] = {}
    for _k, s in ordered:
        by_first.setdefault(s[0], []).append(s)
    return found, ordered, by_first


def _known(table: TableData, left_out: set[str], texts: list[str]) -> list[str]:
    """What the cells' texts may be made of: the table's values and the vocabulary's labels, in
    cutting order, less those that none of the texts holds.

    A short piece left out (a weight "20") is matched as a whole cell only, never inside a number
    ("820"), so only the long ones are here."""
    labels, ordered, by_first = _vocabulary_labels(_vocabulary_key())
    extra = (_known_strings(table) | {s for s in left_out if len(s) >= 4}) - labels
    if any("\x00" in s for s in extra):  # a control character in a value: cutting could make it
        return [s for _k, s in sorted(ordered + [_order(s) for s in extra])]
    # Cutting a string out leaves \x00, which no other known string holds, so it never makes a
    # string appear: one that the texts do not hold now is never cut, and is left out here (a
    # table's rows hold a few dozen of the vocabulary's labels).
    joined = _SEP.join(texts)
    present = [s for c, group in by_first.items() if c in joined for s in group if s in joined]
    present += [s for s in extra if s in joined]
    return sorted(present, key=_order)


_SEP = "\x01"


def _cut_known(texts: list[str], known: list[str]) -> list[str]:
    """Each text with every known string cut out (left as \x00), in the order of `known`.

    The texts are cut as one string joined by a separator no known string holds, so a known
    string is looked for once a table rather than once a cell; no string can match across the
    separator, so each text comes out as it would alone.
    """
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1 or any(_SEP in s for s in known):
        out = []  # a text holding the separator itself (a control character): one at a time
        for t in texts:
            for s in known:
                if s in t:
                    t = t.replace(s, "\x00")
            out.append(t)
        return out
    # known holds what the texts hold (_known): each string is cut without a look first (replace
    # leaves the text as it is where a longer string cut before took it out)
    for s in known:
        joined = joined.replace(s, "\x00")
    return joined.split(_SEP) if texts else []


_LABELLISH = re.compile(r"(?:[\u4e00-\u9fff]{2,}(?:指标|目标|名称|部门|单位|资金|金额|时间|期限|属性))")


def measure(rows: list[tuple[Section, Row]], table: TableData, notes: list[str],
            dropped: list[str] | None = None) -> Reading:
    """The share of the source's characters accounted for, and the pieces that were not.

    dropped is what the reader left out on purpose, knowing what it is (a 权重 or 评分标准
    column, a department's total row): accounted for, never a lost value.
    """
    left_out = {_norm(s) for s in dropped or [] if _norm(s)}
    P = patterns()
    amounts = {str(v) for v in table.funds.model_dump().values() if v is not None}
    total = left = 0
    unknown: list[str] = []
    lost: list[str] = []
    pending: list[tuple[Section, str, str, str, Row | None]] = []  # cells still to account for
    for section, row in rows:
        for n, cell in enumerate(row.cells):
            text, tokens, bare = _forms(cell.text)
            if not text:
                continue
            total += len(text)
            # cells (or space-separated pieces of a row) left out on purpose, and budget codes
            # before a name, which the reader strips by design
            if tokens is None:  # one token, the common case
                rest = "" if text in left_out else bare
            else:
                rest = _norm(" ".join(coded for norm, coded in tokens if norm not in left_out))
            if rest:
                # a header row's first cell may be a value whose label was lost (see _orphan)
                first = row if n == 0 and section in (Section.HEAD, Section.FUNDS) else None
                pending.append((section, rest, text, cell.text.strip(), first))
    left_pieces: dict[str, list[str]] = {}  # a table repeats its cells (指标1, 指标2 under each level)
    texts = [p[1] for p in pending]
    for (section, _rest, text, raw, first), rest in zip(pending, _cut_known(texts, _known(table, left_out, texts))):
        if not rest.strip("\x00"):
            continue  # wholly known
        if (pieces := left_pieces.get(rest)) is None:
            pieces = left_pieces[rest] = _unaccounted(rest, P, amounts)
        if first is not None and pieces == [text] and _orphan(text, first):
            left += len(text)
            lost.append(raw)
            continue
        for p in pieces:
            left += len(p)
            if section == Section.INDICATORS and re.search(r"\d", p):
                lost.append(p)
            elif section != Section.INDICATORS and len(p) <= 12 and _LABELLISH.fullmatch(p):
                unknown.append(p)
    lost += [n.split(": ", 1)[-1] for n in notes if "dropped" in n or "not understood" in n]
    unknown += [n.split(": ", 1)[-1] for n in notes if "not recognised" in n or "another framework" in n]
    coverage = 1.0 if total == 0 else round(1 - left / total, 3)
    return Reading(coverage, _unique(unknown), _unique(lost))


def _orphan(text: str, row: Row) -> bool:
    """A header row's first cell that is a value standing where its label should be: words (no
    digit) that nothing accounted for, before a cell that starts with a label.  Its label was lost
    (OCR missed a label wrapped in a narrow cell), so the value reached no field."""
    P = patterns()
    return (len(text) >= 4 and not re.search(r"\d", text) and bool(re.search(r"[\u4e00-\u9fff]{4}", text))
            and any(rx.match(fold(c.text)) for c in row.cells[1:2] for rx in (P.head_start, P.fund_start, P.goal)))


def _unaccounted(rest: str, P, amounts: set[str]) -> list[str]:
    """The pieces of a cell's text that neither a label pattern nor a number of the form accounts for."""
    return [p for p in _unlabelled(rest, P) if not _accounted(p, amounts)]


@lru_cache(maxsize=4096)  # the same few label cells (指标1, 数量指标) are in every table
def _unlabelled(rest: str, P) -> tuple[str, ...]:
    """The pieces of a cell's text that no label pattern of the vocabulary (P) accounts for."""
    for rx in (P.head, P.fund, P.goal):
        rest = rx.sub("\x00", rest)
    rest = _SLOT_MARK.sub("\x00", rest)  # 指标1: numbers a slot, it is no value
    return tuple(p for p in (_NOISE.sub("", x) for x in rest.split("\x00")) if p)


def _accounted(piece: str, amounts: set[str]) -> bool:
    """Numbers that are fund amounts (in any printed form), years, units and words of the form."""
    if piece in V.IGNORED_TEXT or is_level_label(piece):
        return True
    form = _number_form(piece)
    if form is True or form is False:
        return form
    return any(abs(form - float(a)) < 1e-6 or abs(form / 10000 - float(a)) < 1e-6 for a in amounts)


@lru_cache(maxsize=4096)  # the same pieces (指标值 numbers, years) recur from table to table
def _number_form(piece: str) -> bool | float:
    """What _accounted() says of a piece that is no label, short of the table's amounts: True or
    False, or the number (not 0) that is accounted for when it is one of the table's amounts."""
    digits = re.sub(r"[^\d.]", "", piece)
    if digits and re.fullmatch(r"[\d.]*(?:万元|万|元|亿元)?", piece):
        try:
            n = float(digits.rstrip("."))
        except ValueError:
            return False
        return True if n == 0 else n
    return bool(re.fullmatch(r"(?:\d{4}年度?|年度|万元|元)", piece))


def reset() -> None:
    """Forget the vocabulary's labels made once (patterns.reset() calls this after a spelling is
    replaced in place, which their sizes do not show)."""
    _vocabulary_labels.cache_clear()


def _unique(items: list[str]) -> list[str]:
    seen: list[str] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen[:12]

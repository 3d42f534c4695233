"""The hybrid backend: the rules read every table; the model reads only those the rules are unsure of.

- The rules reader reads every chunk.  A reading with no doubts (`doubts`: the same test as the
  checker's EXTRACT-01) is the result, and no call is made.
- A chunk whose rules reading has doubts (coverage below the threshold, labels it did not know,
  values that reached no field) goes to the model (llm.py: ladder, re-asks, cache, runaway guard).
- The two readings are merged field by field, and grounding in the source decides: a field takes
  the model's value only where the model's is found in the table's text and the rules' is not (or
  is found less well: exact > fuzzy > not found); when both are found, the one holding more of
  the text the rules reading lost (its `lost_values`) wins; otherwise the rules' value stays.
  A header value (项目名称, 主管部门, …) counts as found only right after its own label, and an
  amount only after a fund label of its kind (or after none: a grid's column), never after one of
  another kind (上级资金 16 is no 财政拨款).  A goal the rules reading holds in its other list is
  not one it missed: the model only placed it otherwise, and the rules' lists stay.  A value taken
  from the model gets the operator, number and unit its printed text gives (unless the model's
  operator is printed between the name and the value, a 指标性质 column).  Indicators
  are paired by name first; a model indicator the rules did not read is added when its name and
  value are found in the source, after the rules indicator printed before it, and with that one's
  levels when no level label stands between them (a level cell spanning rows).  Every field where the two readings differ stays listed in
  `llm.disagreements`, so the checker still raises DIFF-01 for a person to look at.
- Why a table went to the model is recorded (`llm.routed`, and a note), and which fields
  grounding gave to the model (a note).
- A chunk where the rules found several projects is not sent (the model reads one table a chunk).
- When the model fails, the rules reading stays, marked failed with its reasons.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from difflib import SequenceMatcher

from ..chunk import Chunk
from ..ground import Located, _fold_chars, locate, source_text
from ..models import Funds, Indicator, ReadingQuality, TableData
from . import Reading, doubts, ocr_notes, rules_results, rules_tables

_SCORE = {"exact": 2, "fuzzy": 1, "not_found": 0}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_HEAD = ("title", "project_name", "competent_department", "implementing_unit", "project_attribute", "project_period")


class HybridExtractor:
    """Rules everywhere; the model only where the rules reading is unsure."""

    name = "hybrid"

    def __init__(self, llm):
        self.llm = llm  # an LLMExtractor
        self.threshold = llm.fuzzy_threshold

    def readings(self, chunks: Iterable[Chunk], source: str, provenance) -> Iterator[Reading]:
        workers = max(1, self.llm.s.workers)
        window: deque = deque()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for chunk in chunks:
                results = rules_results(chunk)
                why = routing(results)
                job = None
                if why is not None and len(results) <= 1:
                    if self.llm.mode_known():
                        job = pool.submit(self.llm.extract, chunk, source)
                    else:  # the first table probes the endpoint alone
                        job = Future()
                        job.set_result(self.llm.extract(chunk, source))
                window.append((chunk, results, why, job))
                # in chunk order; bounded, so a long document is never all queued
                while window and (window[0][3] is None or window[0][3].done() or len(window) > 2 * workers):
                    yield self._reading(*window.popleft(), provenance)
            while window:
                yield self._reading(*window.popleft(), provenance)

    def _reading(self, chunk: Chunk, results: list, why: str | None, job, provenance) -> Reading:
        from ..diff import diff_tables
        from ..ground import evidence_for
        from ..models import ExtractedTable, FieldDiff, LLMInfo

        rules = [r.table for r in results]
        if why is None:
            return Reading(chunk, rules_tables(chunk, results, provenance), rules)
        if job is None:  # several projects in one table: the model reads a chunk as one table
            note = (f"the rules reading is unsure ({why}), but it found {len(results)} projects in this table, "
                    "which the model would read as one: not sent to the model")
            return Reading(chunk, rules_tables(chunk, results, provenance, [note]), rules)
        outcome = job.result()
        info = self.llm.info(outcome)
        sent = f"sent to the model: the rules reading is unsure ({why})"
        if outcome.table is None:
            tables = rules_tables(chunk, results, provenance, [sent, "model failed: " + "; ".join(outcome.errors[-2:])])
            for t in tables:
                t.llm = LLMInfo(**info, status="failed", disagreements=[], routed=why)
            return Reading(chunk, tables, rules)
        notes = ocr_notes(chunk) + [sent]
        if not results:  # the rules read nothing: the model's reading, grounded as --backend llm does
            table, quality, diffs = outcome.table, None, []
        else:
            (result,) = results
            lost = list(result.reading.lost_values) if result.reading is not None else []
            table, taken = merge(result.table, outcome.table, source_text(chunk), self.threshold, lost)
            diffs = [FieldDiff(field=f, llm=m, rules=r) for f, m, r in diff_tables(result.table, outcome.table)]
            notes.append("grounding in the source chose the model's reading for: " + ", ".join(taken) if taken else
                         "grounding in the source kept the rules reading for every field")
            quality = _still_unsure(result.reading, table)
        return Reading(chunk, [ExtractedTable(
            **dict(table), provenance=provenance(chunk.pages, "hybrid"),
            evidence=evidence_for(table, chunk, self.threshold), notes=notes, reading=quality,
            llm=LLMInfo(**info, status="ok", disagreements=diffs, routed=why))], rules)


def routing(results: list) -> str | None:
    """Why a chunk's rules reading goes to the model (None: it is confident and stays as it is)."""
    if not results:
        return "the rules reader found no project in this table"
    why = [w for r in results for w in doubts(r.reading)]
    return "; ".join(dict.fromkeys(why)) or None


def reason_kinds(routed: str) -> list[str]:
    """The kinds of doubt in a routing reason, for a summary: low coverage, unknown labels, lost
    values, no project."""
    kinds = {"coverage": "low coverage", "unknown label": "unknown labels", "reaching no field": "lost values",
             "no project": "no project read"}
    return list(dict.fromkeys(next((v for k, v in kinds.items() if k in part), part) for part in routed.split("; ")))


def _still_unsure(reading, table: TableData) -> ReadingQuality | None:
    """The rules reading's doubts that the merged table did not resolve: lost values it now holds
    are dropped (coverage and unknown labels are the rules reading's own, and stay)."""
    if reading is None:
        return None
    held = _fold_chars("\n".join(_all_strings(table)))
    lost = [v for v in reading.lost_values if _fold_chars(v) not in held]
    return ReadingQuality(coverage=reading.coverage, unknown_labels=list(reading.unknown_labels), lost_values=lost)


def _all_strings(table: TableData) -> list[str]:
    out = [getattr(table, k) or "" for k in _HEAD] + list(table.overall_goals) + list(table.annual_goals)
    for ind in table.indicators:
        out += [ind.name or "", ind.value_text or ""]
    return out


# -- grounding decides ------------------------------------------------------------------------

def merge(rules: TableData, model: TableData, src: Located, threshold: float = 0.75,
          lost: list[str] = ()) -> tuple[TableData, list[str]]:
    """The two readings of one table merged field by field: the model's value where it is found
    in the source better than the rules' value (then: where it holds more of the text the rules
    reading lost), else the rules'.  Returns the merged table and the fields taken from the model."""
    taken: list[str] = []
    lost = [x for x in (_fold_chars(v) for v in lost) if x]

    def text_score(text: str | None) -> tuple[int, int]:
        if not text:
            return (0, 0)
        found = _SCORE[locate(src, text, threshold)[0]]
        folded = _fold_chars(text)
        return (found, sum(v in folded for v in lost) if found else 0)

    def pick(path: str, r, m, score):
        if r == m or score(m) <= score(r):
            return r
        taken.append(path)
        return m

    amounts = _labelled_numbers(src.text)

    def number_score(kind: str):
        # an amount counts as found for a fund field where the source prints it after a label of
        # that kind (财政拨款 16), or after no fund label at all (a grid's column); one printed
        # only after a label of another kind (上级资金 16, 资金总额 16) is no 财政拨款 however often
        # it occurs: the rules reading, which read that label, stays
        def score(n) -> int:
            if n is None:
                return 0
            kinds = {k for x, k in amounts if abs(n - x) < 1e-6 or abs(n * 10000 - x) < 1e-6}
            return 2 if kind in kinds else 1 if "" in kinds else 0
        return score

    def year_score(y) -> int:
        return 2 if y is not None and str(y) in src.text else 0

    def head_score(key: str):
        # a header value counts as found only right after its own label (项目名称: …): the model
        # may well copy a goal into an empty 项目名称 cell, and that goal is in the source too
        labels = _labels(key)

        def score(text):
            found = text_score(text)
            if not text or labels is None or not found[0]:
                return found
            near = re.search(f"(?:{labels})[^\u4e00-\u9fff]{{0,16}}{re.escape(_fold_chars(text))}", src.text)
            return found if near else (0, 0)
        return score

    head = {k: pick(k, getattr(rules, k), getattr(model, k), head_score(k)) for k in _HEAD}
    year = pick("year", rules.year, model.year, year_score)
    funds = Funds(**{k: pick(f"funds.{k}", getattr(rules.funds, k), getattr(model.funds, k), number_score(k.split("_")[0]))
                     for k in Funds.model_fields})
    goals = {}
    for k in ("overall_goals", "annual_goals"):
        r, m = list(getattr(rules, k)), list(getattr(model, k))
        rs, ms = [text_score(g) for g in r], [text_score(g) for g in m]
        total = lambda scores: (sum(x[0] for x in scores), sum(x[1] for x in scores))  # noqa: E731
        # a goal the rules reading holds in its other list (or anywhere) is no goal it missed: the
        # model only placed it otherwise (总体 vs 年度), and the rules' placement follows the labels
        elsewhere = _bare("\n".join(_all_strings(rules.model_copy(update={k: []}))))
        new = [g for g, x in zip(m, ms) if x[1] or _bare(g) not in elsewhere]
        # the model's list only where every item of it is found and some item of the rules' is not
        # (a list cut into more pieces would otherwise win on the sum)
        if (r != m and m and new and all(x[0] for x in ms) and (not r or not all(x[0] for x in rs))
                and total(ms) > total(rs)):
            taken.append(k)
            r = m
        goals[k] = r
    indicators = _merge_indicators(rules.indicators, model.indicators, text_score, taken, src.text)
    table = TableData(**head, year=year, funds=funds, **goals, indicators=indicators)
    return table, taken


def _bare(text: str) -> str:
    """Text without punctuation or spaces, for asking whether a reading holds it (a goal's
    trailing 。 is no difference)."""
    return re.sub(r"[\W_]+", "", _fold_chars(text))


def _labelled_numbers(text: str) -> list[tuple[float, str]]:
    """Every number of the source with the kind of the fund label just before it ('total',
    'fiscal', 'other', 'none' for a label the contract does not map, '' for no fund label)."""
    from .rules.patterns import patterns

    P = patterns()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 3,309,840.00
    labels = [(m.end(), next((P.fund_kinds[int(g[1:])] or "none" for g, v in m.groupdict().items()
                              if g.startswith("f") and v), ""))
              for m in P.fund.finditer(text)]
    out = []
    for m in _NUMBER.finditer(text):
        # the label just before it with no words between (the source's lines run together here,
        # so an amount under a row of column labels counts for the last of them: a blank of
        # the rules then stays, as it would with no label)
        before = [kind for end, kind in labels if end <= m.start() and m.start() - end <= 24
                  and not re.search(r"[\u4e00-\u9fff]", text[end:m.start()])]
        out.append((float(m.group(0)), before[-1] if before else ""))
    return out


def _labels(key: str) -> str | None:
    """The labels of a header field, as one regex (None: a field with no label, the title)."""
    from .rules.vocabulary import HEAD_KEYS

    return "|".join(HEAD_KEYS[key]) if key in HEAD_KEYS else None


def _similar(a: str | None, b: str | None) -> float:
    a, b = _fold_chars(a or ""), _fold_chars(b or "")
    if not a or not b:
        return 0.0
    return 1.0 if a == b else SequenceMatcher(None, a, b, autojunk=False).ratio()


def _settled(ind: Indicator, source: str) -> Indicator:
    """A model indicator's operator, number and unit as its value_text gives them (the parser the
    checker re-derives them with), unless the model's operator is printed between the indicator's
    name and its value (a 指标性质 column): the model's ≥ for a printed 100% is not grounded."""
    from ..values import parse_value
    from .rules.vocabulary import OPERATOR_WORDS

    derived = parse_value(ind.value_text)
    if (ind.operator, ind.value, ind.unit) == tuple(derived):
        return ind
    name, value = _fold_chars(ind.name or ""), _fold_chars(ind.value_text or "")
    at = source.find(name) if name else -1
    end = source.find(value, at + len(name)) if at >= 0 and value else -1
    between = source[at + len(name):end] if 0 <= end - (at + len(name)) <= 40 else ""
    if ind.operator and any(op == ind.operator and _fold_chars(w) in between for w, op in OPERATOR_WORDS.items() if op):
        return ind
    return ind.model_copy(update={"operator": derived.operator, "value": derived.value, "unit": derived.unit})


_SLOT = re.compile(r"指标\d+")


def _source_neighbour(m: Indicator, rules: list[Indicator], source: str) -> tuple[int | None, Indicator | None]:
    """The rules indicator printed last before the model's indicator `m` in the source (None:
    the source does not tell), and that indicator again when no level label (…指标) is printed
    between the two, so that `m` stands in its level group (a level cell spanning rows)."""
    name = _fold_chars(m.name or "")
    at = source.find(name) if name else -1
    if at < 0:
        return None, None
    best, where = None, -1
    for j, r in enumerate(rules):
        rn = _fold_chars(r.name or "")
        p = source.find(rn) if rn else -1
        if where < p and p + len(rn) <= at:
            best, where = j, p
    if best is None:
        return None, None
    between = _SLOT.sub("", source[where + len(_fold_chars(rules[best].name or "")):at])
    return best, (rules[best] if "指标" not in between else None)


def _merge_indicators(rules: list[Indicator], model: list[Indicator], score, taken: list[str],
                      source: str = "") -> list[Indicator]:
    """Indicators paired by name (then value); each pair merged by grounding; model indicators the
    rules did not read added after their predecessor when their name and value are in the source."""
    pair: dict[int, int] = {}  # model index -> rules index
    free = set(range(len(rules)))
    for i, m in enumerate(model):
        best, at = 0.6, None
        for j in sorted(free):
            s = _similar(m.name, rules[j].name) + 0.01 * (m.value_text == rules[j].value_text)
            if s > best:
                best, at = s, j
        if at is not None:
            pair[i] = at
            free.discard(at)
    # [indicator, rules index or None (added), fields taken from the model]
    merged: list[list] = [[r, j, []] for j, r in enumerate(rules)]

    def place(j: int) -> int:
        return next(n for n, e in enumerate(merged) if e[1] == j)

    for i, m in enumerate(model):
        if i in pair:
            j = pair[i]
            r = rules[j]
            e = merged[place(j)]
            name = r.name if m.name == r.name or score(m.name) <= score(r.name) else m.name
            sm, sr = score(m.value_text), score(r.value_text)
            # both found: the model's value wins on what the rules lost only where the rules'
            # value holds no number at all (a number that went to the next cell)
            keep = m.value_text == r.value_text or sm <= sr or (sm[0] == sr[0] and bool(re.search(r"\d", r.value_text or "")))
            value = r if keep else _settled(m, source)
            e[2] += (["name"] if name != r.name else []) + ([] if keep else ["value_text"])
            e[0] = r.model_copy(update={"name": name, "value_text": value.value_text, "operator": value.operator,
                                        "value": value.value, "unit": value.unit})
        elif score(m.name)[0] and score(m.value_text)[0]:
            add = _settled(m, source)
            # after the rules indicator printed last before it; inside that one's level group
            # (no level label printed between them) it takes that group's levels, not the
            # model's; where the source does not tell, after the indicator the model read
            # just before it (or first).  After earlier additions there.
            prev, group = _source_neighbour(m, rules, source)
            if prev is None:
                prev = next((pair[p] for p in range(i - 1, -1, -1) if p in pair), None)
            if group is not None and (group.level1, group.level2) != (add.level1, add.level2):
                add = add.model_copy(update={"level1": group.level1, "level2": group.level2})
            at = 0 if prev is None else place(prev) + 1
            while at < len(merged) and merged[at][1] is None:
                at += 1
            merged.insert(at, [add, None, ["(added)"]])
    for n, (_ind, j, fields) in enumerate(merged):
        taken += [f"indicators[{n}] (added)" if j is None else f"indicators[{n}].{f}" for f in fields]
    return [e[0] for e in merged]

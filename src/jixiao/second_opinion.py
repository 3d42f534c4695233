"""A model's second opinion on a checked table, held to the table (`--review-model NAME`, off by default).

The model gets one table (its contract fields as text) and is asked, under a strict pydantic schema,
for findings of the kinds the rules cannot decide: an indicator unrelated to the project or its goals
(AI-01), a goal that is a slogan rather than an output (AI-02), an indicator that restates the goal
(AI-03), likely wrong characters in a name (AI-04).  Each finding cites what it is about and is marked
as drafted by a model.  The guard drops a finding unless every indicator name, goal, number and
quotation in it is found in the table.  The model is called through the extraction backend's client
(extract/llm.py: the same settings, structured-output ladder, cache and call log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Literal

from pydantic import Field

from .check import Checked
from .extract.llm import LLMExtractor
from .extract.llm_store import Store
from .findings import Source, held_severities, make_finding, suggested_grade
from .models import Strict, TableData
from .settings import ModelSettings

KINDS = {"unrelated_indicator": "AI-01", "slogan_goal": "AI-02", "restates_goal": "AI-03", "wrong_characters": "AI-04"}
AI_RULES = tuple(KINDS.values())


class ModelFinding(Strict):
    kind: Literal["unrelated_indicator", "slogan_goal", "restates_goal", "wrong_characters"]
    indicator: str | None = Field(description="the indicator's name exactly as printed; null for a goal")
    goal: str | None = Field(description="the goal concerned, exactly as printed; null when none")
    quote: str = Field(description="the words of the table the finding rests on, copied exactly")
    reason: str = Field(description="one short sentence in Chinese; no number or text the table does not have")
    wrong: str | None = Field(description="wrong_characters: the wrong characters as printed; else null")
    right: str | None = Field(description="wrong_characters: the right characters; else null")


class SecondOpinionAnswer(Strict):
    findings: list[ModelFinding]


class SecondOpinion(LLMExtractor):
    """The review model: the extraction client asked for SecondOpinionAnswer with the review prompts."""

    name = "review"
    answer_model = SecondOpinionAnswer
    tool_name, tool_description = "record_review", "记录对一张绩效目标表的审核意见"
    prompt_names = ("review_system.j2", "review_user.j2")

    def messages(self, chunk_text: str, mode: str) -> list[dict]:
        schema = self.schema_text if mode in ("json_object", "prompt") else None
        return [{"role": "system", "content": self.system_t.render(schema=schema).strip()},
                {"role": "user", "content": self.user_t.render(chunk_text=chunk_text).strip()}]


def table_text(t: TableData) -> str:
    """The table as the model sees it: its contract fields, one a line, cells split by “ | ”."""
    lines = [f"项目名称 | {t.project_name or ''}", f"主管部门 | {t.competent_department or ''} | 实施单位 | "
             f"{t.implementing_unit or ''}", f"项目属性 | {t.project_attribute or ''} | 项目期 | {t.project_period or ''}"]
    lines += [f"总体目标 | {g}" for g in t.overall_goals] + [f"年度目标 | {g}" for g in t.annual_goals]
    lines.append("一级指标 | 二级指标 | 三级指标 | 指标值")
    lines += [f"{i.level1} | {i.level2} | {i.name} | {i.value_text or ''}" for i in t.indicators]
    return "\n".join(lines)


_QUOTED = re.compile(r"[“\"'‘「『]([^”\"'’」』]{1,80})[”\"'’」』]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WS = re.compile(r"\s+")


def _sq(text: str | None) -> str:
    return _WS.sub("", text or "")


def guard(answer: ModelFinding, t: TableData) -> str | None:
    """Why a model finding is dropped (None: it is held to the table): every indicator name, goal, number and
    quotation in it must be found in the table."""
    text = _sq(table_text(t))
    names = {_sq(i.name) for i in t.indicators}
    goals = [_sq(g) for g in t.overall_goals + t.annual_goals]
    if answer.indicator is not None and _sq(answer.indicator) not in names:
        return f"indicator not in the table: {answer.indicator}"
    if answer.indicator is None and answer.kind in ("unrelated_indicator", "restates_goal"):
        return "no indicator cited"
    if answer.goal is not None and not any(_sq(answer.goal) in g for g in goals):
        return f"goal not in the table: {answer.goal}"
    if answer.kind == "slogan_goal" and answer.goal is None:
        return "no goal cited"
    if not _sq(answer.quote) or _sq(answer.quote) not in text:
        return f"quotation not in the table: {answer.quote}"
    for q in _QUOTED.findall(answer.reason):
        if _sq(q) not in text and not (answer.kind == "wrong_characters" and _sq(q) == _sq(answer.right)):
            return f"quotation not in the table: {q}"
    for n in _NUMBER.findall(answer.reason + (answer.right or "")):
        if n not in text:
            return f"number not in the table: {n}"
    if answer.kind == "wrong_characters":
        if not answer.wrong or not answer.right or _sq(answer.wrong) == _sq(answer.right):
            return "wrong characters without a correction"
        where = [_sq(answer.indicator)] if answer.indicator else ([_sq(answer.goal)] if answer.goal else goals)
        if not any(_sq(answer.wrong) in w for w in where):
            return f"wrong characters not in the name cited: {answer.wrong}"
    return None


@dataclass
class OpinionStats:
    tables: int = 0
    failed: int = 0
    proposed: int = 0
    kept: int = 0
    dropped: list[str] = field(default_factory=list)  # why each dropped finding was dropped
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def line(self) -> str:
        return (f"review model: {self.tables} table(s), {self.proposed} finding(s) proposed, {self.kept} kept, "
                f"{len(self.dropped)} dropped by the guard, {self.failed} failed; {self.calls} call(s), "
                f"{self.cache_hits} cached, {self.prompt_tokens}+{self.completion_tokens} tokens")


def add_second_opinion(checked: list[Checked], settings: ModelSettings, store: Store | None = None,
                       http_client=None, config=None) -> OpinionStats:
    """Ask the review model about each checked table; keep what the guard holds to the table (in place)."""
    from .settings import ReviewConfig

    config = config or ReviewConfig()
    model = SecondOpinion(settings, store, http_client=http_client)
    stats = OpinionStats()
    chunks = [SimpleNamespace(text=table_text(c.table), pages=c.table.provenance.pages) for c in checked]
    for c, (_chunk, out) in zip(checked, model.map(chunks, "review")):
        stats.tables += 1
        stats.calls += out.calls
        stats.cache_hits += out.cache_hit
        stats.prompt_tokens += out.prompt_tokens
        stats.completion_tokens += out.completion_tokens
        if out.table is None:
            stats.failed += 1
            why = "; ".join(out.errors[-2:])[:200]
            for r in AI_RULES:
                c.outcomes[r] = {"outcome": "could_not_check", "reasons": [f"模型未答复：{why}"]}
            continue
        fired: dict[str, list[str]] = {r: [] for r in AI_RULES}
        seen = set()
        for a in out.table.findings:
            stats.proposed += 1
            why = guard(a, c.table)
            key = (a.kind, _sq(a.indicator), _sq(a.goal), _sq(a.wrong))
            if why is not None or key in seen:
                stats.dropped.append(why or "repeated")
                continue
            seen.add(key)
            rule = KINDS[a.kind]
            c.findings.append(make_finding(rule, c.table.project_name, c.ref, a.indicator,
                                           [Source(text=a.quote, page=None, bbox=None, line=None)],
                                           name=a.indicator or a.goal or a.quote, goal=a.goal or a.quote, reason=a.reason.rstrip("。."),
                                           wrong=a.wrong or "", right=a.right or ""))
            fired[rule].append(a.quote)
            stats.kept += 1
        for r in AI_RULES:
            c.outcomes[r] = {"outcome": "failed" if fired[r] else "passed", "reasons": []}
        c.grade = suggested_grade(c.findings, config, held_severities(c.outcomes))
    return stats

"""The review rules (docs/rules.md): deterministic conditions on extracted tables.

Each rule reads the contract fields only, so it judges a model's extraction and the rules
extractor's alike.  Wording comes from findings.comment(); precedence and batch rules are applied
in review().
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable

from .findings import OUTCOMES, REASONS, RULES, SUPERSEDES, Finding, ReviewConfig, Source, TableFacts, make_finding
from .models import ExtractedTable, Indicator, TableData, indicator_path
from .values import TO_WAN, squash

# §4.2 lexicons
TREND_WORDS = "提高|提升|加强|增强|改善|优化|促进|推进|完善|加快|扩大|降低|减少|好转"
_TREND = re.compile(TREND_WORDS)
_NAMED_PERIOD = re.compile(r"年底前|年末前|月底前|上半年|下半年")
_GOAL_STATEMENT = re.compile(r"^(?:有效|进一步|全面|切实)?(?:提升|提高|加强|增强|弘扬|引导|促进|推动|确保|改善|优化)")
_INVERSE_RATE = re.compile(r"(?:故障率|差错率|错误率|投诉率|流失率|事故率|发生率|失误率|不合格率|超支率|损耗率|中断率|误报率|漏报率)$")
_AVAILABILITY = re.compile(r"(?:可用率|畅通率|正常率|完好率|在线率|运行率|稳定率)$")
_POSITIVE_RATE = re.compile(
    r"(?:合格率|完成率|覆盖率|满意度|满意率|可用率|畅通率|出席率|出勤率|参与率|及时率|使用率|监测率|知晓率|达标率|"
    r"通过率|到位率|执行率|响应率|处置率|办结率)$")
_TIME_LIMIT = re.compile(r"时限|响应时间|处置时间|维修时间|修复时间|办结时间|处理时间|维修时效|处置时效")
_TIME_LIMIT_EXCLUDED = re.compile(r"无故障|运行时长|日均时长")
_TIME_UNITS = {"小时", "分钟", "分", "秒", "天", "日", "工作日", "个工作日", "周", "个月", "月"}
_PER_DAY = re.compile(r"日均|日平均|每日|每天")
_COUNT_NAME = re.compile(r"(?:次数|人数|期数|个数|数量|人次|场次)$")
_COUNT_UNITS = {"次", "个", "场", "期", "项", "件", "篇", "批"}
_COST_NAME = re.compile(r"(?:成本|费用|经费|费)$")
_RECURRENT = ("运维", "运营维护", "运行维护", "维护费", "服务费", "租用", "租赁", "物业费", "年费")
_PER_UNIT = re.compile(r"(?:亿元|万元|千元|元|万)\s*[/／每]")
_DATE_LIKE = re.compile(r"\d{4}\s*年|\d{4}[./-]\d{1,2}|\d{1,2}\s*月|\d{1,2}\s*日|第[一二三四1-4]季度")
_YEAR_PREFIX = re.compile(r"^20\d{2}年度?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STOP_BIGRAMS = set("工作 开展 建设 确保 提高 提升 加强 实现 促进 推进 做到 进行 正常 全县 各级 其他 相关 有效 "
                    "深入 积极 组织 健全 建立 按照 运用 使用 完成 情况 水平 能力 及时".split())
_CLAUSE_SPLIT = re.compile(r"[，,；;。]|及(?!时)|和|并|与")
_PUNCT = re.compile(r"[\s\W_]+")
HEADER_FIELDS = {"project_name": "项目名称", "competent_department": "主管部门", "implementing_unit": "实施单位",
                 "project_attribute": "项目属性", "project_period": "项目期"}


# ---------------------------------------------------------------------------------------------
# Helpers


def _norm(text: str | None) -> str:
    return _PUNCT.sub("", text or "")


def _money(ind: Indicator) -> float | None:
    """The value of a monetary indicator in 万元, else None."""
    if ind.value is None or ind.unit not in TO_WAN:
        return None
    return ind.value * TO_WAN[ind.unit]


def _fmt(x: float | None) -> str:
    if x is None:
        return "0"
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _qualitative(ind: Indicator) -> bool:
    return ind.operator is None and bool(ind.value_text) and not re.search(r"\d", ind.value_text)


def _bigrams(text: str) -> set[str]:
    s = "".join(_CJK.findall(text))
    return {s[i:i + 2] for i in range(len(s) - 1)}


def facts_of(table: ExtractedTable, config: ReviewConfig) -> TableFacts:
    """What can be known about a table without its source: unsure OCR values and an unsure reading."""
    facts = TableFacts(ocr=any(e.confidence is not None for e in table.evidence.values()))
    mark_unsure(facts, table, config)
    return facts


def mark_unsure(facts: TableFacts, table: ExtractedTable, config: ReviewConfig) -> None:
    """Fields no finding may be drawn from: OCR values below `ocr_min_confidence`; with an unsure reading
    (EXTRACT-01) whatever rests on something being absent, and the funds when values were lost."""
    for key, e in table.evidence.items():
        if e.confidence is not None and e.confidence < config.ocr_min_confidence:
            facts.unsure.setdefault(key, "reading_unsure")
    from .extract.rules.coverage import MIN_COVERAGE

    r = table.reading
    if r is not None and (r.coverage < MIN_COVERAGE or r.unknown_labels or r.lost_values):
        facts.unsure.setdefault("@absence", "reading_unsure")
        if r.lost_values:
            facts.unsure.setdefault("funds", "reading_unsure")
    if any(n.startswith("indicator without a level") or (n.startswith("level ") and "not recognised" in n)
           for n in table.notes):  # indicators dropped or misplaced for want of a level: absences are unsure
        facts.unsure.setdefault("@levels", "level_missing")


class _Ctx:
    """One table under review, with the helpers every rule needs to emit a finding."""

    def __init__(self, table: ExtractedTable, ref: str, config: ReviewConfig, batch_frequent: set[str],
                 facts: TableFacts | None = None):
        self.t = table
        self.ref = ref
        self.config = config
        self.batch_frequent = batch_frequent
        self.facts = facts or facts_of(table, config)
        self.out: list[Finding] = []
        self.unchecked: dict[str, list[str]] = {}  # rule -> why it could not be checked (reason: detail)
        self.errors: dict[str, str] = {}  # rule -> the exception it raised
        self.held: dict[str, list[str]] = {}  # rule -> severities of findings held back for an unsure reading

    def cannot(self, rule: str, reason: str, detail: str | None = None) -> None:
        """The rule could not be checked here (fail closed): no finding, the reason kept for the summary."""
        text = REASONS[reason] + (f"：{detail}" if detail else "")
        if text not in self.unchecked.setdefault(rule, []):
            self.unchecked[rule].append(text)

    def unsure(self, rests_on: list[str]) -> tuple[str, str] | None:
        """(reason, field) when a field the finding would rest on was read unsurely (OCR-01, EXTRACT-01)."""
        for key, reason in self.facts.unsure.items():
            for rest in rests_on:
                if key == rest or key.startswith((rest + ".", rest + "[")):
                    return reason, key
        return None

    def source(self, key: str, text: str | None) -> list[Source]:
        ev = self.t.evidence.get(key)
        if ev is None or text is None:
            return [Source(text=text, page=None, bbox=None, line=None)] if text else []
        return [Source(text=text, page=ev.page, bbox=ev.bbox, line=ev.line, cell=ev.cell)]

    def ind_sources(self, i: int) -> list[Source]:
        ind = self.t.indicators[i]
        return self.source(indicator_path(i, "name"), ind.name) + self.source(indicator_path(i, "value_text"), ind.value_text)

    def emit(self, rule: str, indicator: str | None = None, sources: list[Source] | None = None,
             severity: str | None = None, rests_on: list[str] | None = None, **context) -> None:
        if rests_on and (why := self.unsure(rests_on)):
            detail = {"@absence": "提取结果可能不完整", "@levels": "有指标未识别层级"}.get(why[1], why[1])
            self.cannot(rule, why[0], detail)  # never a finding drawn from a field read unsurely
            # kept aside for the grade only: an unsure reading neither lowers nor raises it
            self.held.setdefault(rule, []).append(severity or RULES[rule].severity)
            return
        self.out.append(make_finding(rule, self.t.project_name, self.ref, indicator, sources or [], severity, **context))

    def money_sides_known(self, rule: str, ind: Indicator | None = None) -> bool:
        """Amount rules compare two amounts: both units must be known (元 vs 万元 never makes a false 错误)."""
        if self.facts.funds_unit_known is False:
            self.cannot(rule, "unit_unclear", "资金栏未注明金额单位")
            return False
        if ind is not None and ind.unit and _PER_UNIT.match(ind.unit):
            return False  # a unit cost (元/亩, 万元/个) is no amount to set against the total: nothing to compare
        if ind is not None and ind.value is not None and ind.unit not in TO_WAN and ind.unit not in ("%", "‰"):
            self.cannot(rule, "unit_unclear", f"“{ind.name}”{ind.value_text or ''}")
            return False
        return True

    @property
    def total(self) -> float | None:
        return self.t.funds.total_all_levels

    def own_column(self) -> bool:
        f = self.t.funds
        return any(v is not None for v in (f.total_own_level, f.fiscal_own_level, f.other_own_level))


# ---------------------------------------------------------------------------------------------
# Table-level rules


def comp(c: _Ctx) -> None:
    t = c.t
    for key, label in HEADER_FIELDS.items():
        if not getattr(t, key):
            c.emit("COMP-01", rests_on=["@absence", key], field=label)
    columns = [("all", "（含本级和市县）" if c.own_column() else "")] + ([("own", "（含本级）")] if c.own_column() else [])
    for col, scope in columns:
        total = t.funds.total_all_levels if col == "all" else t.funds.total_own_level
        if total is None or total <= 0:
            c.emit("COMP-02", sources=c.source(f"funds.total_{'all_levels' if col == 'all' else 'own_level'}", None),
                   rests_on=["funds", "@absence"], scope=scope)
    if not t.overall_goals and not t.annual_goals:
        c.emit("COMP-03", rests_on=["@absence"], column="年度绩效目标")
    elif c.own_column():
        if not t.overall_goals and t.funds.total_all_levels:
            c.emit("COMP-03", rests_on=["@absence"], column="年度总体绩效目标（含本级和市县）")
        if not t.annual_goals and t.funds.total_own_level:
            c.emit("COMP-03", rests_on=["@absence"], column="年度绩效目标（含本级）")
    filled = {(i.level1, i.level2) for i in t.indicators}
    for level2 in ("数量指标", "质量指标", "时效指标", "成本指标"):
        if ("产出指标", level2) not in filled:
            c.emit("COMP-04", rests_on=["@absence", "@levels"], level2=level2)
    if not any(i.level1 == "效益指标" for i in t.indicators):
        c.emit("COMP-05", rests_on=["@absence", "@levels"])
    if not any(i.level2 == "服务对象满意度指标" for i in t.indicators):
        c.emit("COMP-06", rests_on=["@absence", "@levels"], beneficiaries=_beneficiaries(t))
    for n, ind in enumerate(t.indicators):
        if not ind.value_text:
            c.emit("COMP-07", ind.name, c.ind_sources(n), rests_on=[f"indicators[{n}]", "@absence"], name=ind.name)


def _beneficiaries(t: ExtractedTable) -> str:
    """Who the goals say the project serves ("覆盖各级机关事业单位、乡镇…"), else a placeholder."""
    for goal in t.annual_goals + t.overall_goals:
        if m := re.search(r"(?:覆盖|服务|面向|惠及|保障)([^，,；;。]{2,40})", goal):
            return m.group(1).rstrip("等")
    return "（请结合项目实际明确）"


def goals(c: _Ctx) -> None:
    t = c.t
    name = _norm(_YEAR_PREFIX.sub("", squash(t.project_name)))
    all_goals = list(dict.fromkeys(t.overall_goals + t.annual_goals))
    restating = [g for g in all_goals if name and _norm(g) and _norm(g) in name]
    for g in restating:
        c.emit("GOAL-01", rests_on=["overall_goals", "annual_goals", "project_name"], goal=g)
    if not restating and all_goals and all(
            len(_CJK.findall(g)) <= c.config.vague_goal_max_chars and not re.search(r"\d", g) for g in all_goals):
        c.emit("GOAL-02", rests_on=["overall_goals", "annual_goals"], goal="；".join(all_goals))
    f = t.funds
    same_funds = c.own_column() and (f.total_all_levels, f.fiscal_all_levels, f.other_all_levels) == (
        f.total_own_level, f.fiscal_own_level, f.other_own_level)
    if same_funds and t.overall_goals and t.annual_goals and [_norm(g) for g in t.overall_goals] != [
            _norm(g) for g in t.annual_goals]:
        c.emit("GOAL-03", rests_on=["funds", "overall_goals", "annual_goals"])


def consistency(c: _Ctx) -> None:
    t, f, tol = c.t, c.t.funds, c.config.funds_tolerance
    columns = [("all", "含本级和市县" if c.own_column() else "", f.total_all_levels, f.fiscal_all_levels, f.other_all_levels)]
    if c.own_column():
        columns.append(("own", "含本级", f.total_own_level, f.fiscal_own_level, f.other_own_level))
    for col, scope, total, fiscal, other in columns:
        label = f"（{scope}）" if scope else ""
        suffix = "all_levels" if col == "all" else "own_level"
        if total is not None and (fiscal is not None or other is not None):
            if abs(total - (fiscal or 0) - (other or 0)) > tol:
                c.emit("CONS-01", sources=c.source(f"funds.total_{suffix}", _fmt(total)), rests_on=["funds"], scope=label,
                       total=_fmt(total), fiscal=_fmt(fiscal), other=_fmt(other))
        if total is not None and fiscal is not None and fiscal > total + tol:
            c.emit("CONS-02", sources=c.source(f"funds.fiscal_{suffix}", _fmt(fiscal)), rests_on=["funds"],
                   kind="fiscal", scope=label,
                   fiscal=_fmt(fiscal), total=_fmt(total))
    if f.total_own_level is not None and f.total_all_levels is not None and f.total_own_level > f.total_all_levels + tol:
        c.emit("CONS-02", sources=c.source("funds.total_own_level", _fmt(f.total_own_level)), rests_on=["funds"],
               kind="levels",
               own=_fmt(f.total_own_level), all=_fmt(f.total_all_levels))
    all_costs = [(n, i) for n, i in enumerate(t.indicators) if i.level2 == "成本指标"]
    costs = [(n, i, _money(i)) for n, i in all_costs if _money(i) is not None]
    if c.total is not None:
        for n, ind in all_costs:
            money = _money(ind)
            if c.money_sides_known("CONS-03", ind) and money is not None and money > c.total + tol:
                c.emit("CONS-03", ind.name, c.ind_sources(n), rests_on=["funds", f"indicators[{n}]"], name=ind.name,
                       value_text=ind.value_text, total=_fmt(c.total))
        capped = [(n, money) for n, ind, money in costs if ind.operator in ("=", "≤")]
        unclear = [ind for _n, ind in all_costs if ind.operator in ("=", "≤") and _money(ind) is None
                   and ind.value is not None and ind.unit not in ("%", "‰")]
        if len(capped) + len(unclear) > 1 and all(c.money_sides_known("CONS-04", ind) for ind in unclear or [None]):
            if len(capped) > 1 and sum(m for _n, m in capped) > c.total + tol:
                c.emit("CONS-04", rests_on=["funds"] + [f"indicators[{n}]" for n, _m in capped],
                       sum=_fmt(sum(m for _n, m in capped)), total=_fmt(c.total))
    hours = [(n, i) for n, i in enumerate(t.indicators) if i.unit == "小时" and _PER_DAY.search(i.name) and i.value is not None]
    full = [(n, i) for n, i in hours if i.value == 24 and i.operator in ("=", "≥")]
    partial = [(n, i) for n, i in hours if i.operator in ("≥", ">") and i.value < 24]
    if full and partial:
        (na, a), (nb, b) = full[0], partial[0]
        c.emit("CONS-05", sources=c.ind_sources(na) + c.ind_sources(nb), rests_on=[f"indicators[{na}]", f"indicators[{nb}]"],
               name_a=a.name, value_a=a.value_text,
               name_b=b.name, value_b=b.value_text, gap=_fmt(24 - b.value))


def relevance(c: _Ctx) -> None:
    names = [i.name for i in c.t.indicators]
    covered: set[str] = set()
    for n in names:
        covered |= _bigrams(n)
    drop = _STOP_BIGRAMS | c.batch_frequent
    for goal in dict.fromkeys(c.t.overall_goals + c.t.annual_goals):
        content = _bigrams(goal) - drop
        if content and not content & covered:
            c.emit("REL-01", rests_on=["overall_goals", "annual_goals", "@absence"], goal=goal)
            continue
        uncovered = []
        for clause in _CLAUSE_SPLIT.split(goal):
            if len(_norm(clause)) < c.config.rel_min_clause_chars:
                continue
            if not (_bigrams(clause) - drop) & covered:
                uncovered.append(clause)
        if uncovered:
            c.emit("REL-02", rests_on=["overall_goals", "annual_goals", "@absence"], goal=goal, clauses=uncovered)
    for n, ind in enumerate(c.t.indicators):
        suggested = None
        if "满意" in ind.name and ind.level2 != "服务对象满意度指标":
            suggested = "服务对象满意度指标"
        elif ind.level1 == "满意度指标" and "满意" not in ind.name:
            suggested = "相应的产出或效益指标"
        elif _COST_NAME.search(ind.name) and _money(ind) is not None and ind.level2 != "成本指标":
            suggested = "成本指标"
        if suggested:
            c.emit("REL-03", ind.name, c.ind_sources(n), rests_on=[f"indicators[{n}]", "@levels"], name=ind.name,
                   level2=ind.level2, suggested=suggested)


def feasibility(c: _Ctx) -> None:
    if squash(c.t.project_attribute) == "一次性项目":
        name = squash(c.t.project_name)
        for kw in _RECURRENT:
            if kw in name:
                c.emit("FEAS-01", sources=c.source("project_name", c.t.project_name),
                       rests_on=["project_name", "project_attribute"], keyword=f"“{kw}”")
                break


# ---------------------------------------------------------------------------------------------
# Indicator-level rules


def indicators(c: _Ctx) -> None:
    t, cfg = c.t, c.config
    costs = [i for i in t.indicators if i.level2 == "成本指标"]
    all_costs_percent = bool(costs) and all(i.unit in ("%", "‰") for i in costs)
    for n, ind in enumerate(t.indicators):
        name, vt = ind.name, ind.value_text or ""
        ctx = dict(name=name, value_text=vt, level2=ind.level2, unit=ind.unit, operator=ind.operator)

        def emit(rule: str, **extra) -> None:  # the sources are made only for a finding
            c.emit(rule, name, c.ind_sources(n), rests_on=[f"indicators[{n}]"], **{**ctx, **extra})

        if re.search(r"\d", vt) and ind.value is None and not _DATE_LIKE.search(vt):
            # a number the parser could not read: the numeric rules on this indicator cannot judge it
            for rule, applies in (("SAT-01", "满意" in name), ("DIR-01", bool(_INVERSE_RATE.search(name))),
                                  ("RANGE-01", name.endswith("率")), ("APPR-01", ind.level2 == "数量指标")):
                if applies:
                    c.cannot(rule, "value_not_parsed", f"“{name}”{vt}")

        if _qualitative(ind) and _TREND.search(vt):
            emit("MEAS-01")
        if ind.level2 == "时效指标" and _qualitative(ind) and not _NAMED_PERIOD.search(vt):
            emit("MEAS-02", year=t.year)
        if ind.value is not None and ind.unit is None:
            emit("MEAS-03")
        if name.endswith("率") and ind.operator is None and vt:
            emit("MEAS-04")
        if ind.unit and ((re.search(r"(?:率|满意度)$", name) and ind.unit not in ("%", "‰"))
                         or (_COUNT_NAME.search(name) and ind.unit == "%")):
            emit("MEAS-05")
        if name.endswith("性") and ind.value is not None:
            emit("MEAS-06")
        if _GOAL_STATEMENT.match(name):
            emit("MEAS-07")
        if re.search(r"[，、,]", name):
            emit("MEAS-08")
        if _INVERSE_RATE.search(name) and ind.value is not None:
            wrong = ind.operator in ("≥", ">")
            vacuous = ind.operator in ("≤", "<") and ind.value >= cfg.inverse_rate_ceiling
            if wrong or vacuous:
                peer = next((p for p in t.indicators if _AVAILABILITY.search(p.name) and p.value is not None), None)
                emit("DIR-01", wrong_direction=wrong, peer=peer.name if peer else None,
                     peer_value=peer.value_text if peer else None,
                     suggested=_fmt(100 - peer.value) if peer and peer.unit == "%" else None)
        if _POSITIVE_RATE.search(name) and ind.operator in ("≤", "<"):
            emit("DIR-02")
        if (_TIME_LIMIT.search(name) and not _TIME_LIMIT_EXCLUDED.search(name) and ind.unit in _TIME_UNITS
                and ind.operator in ("≥", ">")):
            emit("DIR-03")
        if ind.level2 == "成本指标" and ind.operator in ("≥", ">"):
            emit("DIR-04")
        if ind.unit == "%" and ind.value is not None:
            if ind.value > 100:
                emit("RANGE-01", over=True)
            elif ind.value == 100 and ind.operator in ("≥", ">"):
                emit("RANGE-01", severity="建议", over=False)
        if ind.unit == "小时" and _PER_DAY.search(name) and ind.value is not None and ind.value > 24:
            emit("RANGE-02", limit="每日24小时")
        elif (ind.level2 == "时效指标" and t.year and squash(t.project_period) == "一年"
              and any(int(y) > t.year for y in re.findall(r"(20\d{2})\s*年", vt))):
            emit("RANGE-02", limit="项目实施期")
        money = _money(ind)
        if (ind.level2 == "成本指标" and ind.operator in ("=", "≤") and c.total is not None
                and c.money_sides_known("COST-01", ind) and money is not None
                and abs(money - c.total) <= cfg.funds_tolerance):
            c.emit("COST-01", name, c.ind_sources(n), rests_on=[f"indicators[{n}]", "funds"], **ctx)
        if ind.level2 == "成本指标" and all_costs_percent:
            emit("COST-02")
        if "满意" in name and ind.value is not None:
            if ind.operator in ("≤", "<"):
                emit("SAT-01", wrong_direction=True)
            elif ind.unit == "%" and ind.value < cfg.satisfaction_floor:
                emit("SAT-01", wrong_direction=False)
            elif ind.unit == "%" and ind.value >= 100 and ind.operator in ("=", "≥"):
                emit("SAT-02")
        if (ind.level2 == "数量指标" and ind.operator in ("≥", ">") and ind.value is not None
                and ind.value <= cfg.low_count_max and ind.unit in _COUNT_UNITS):
            emit("APPR-01", total=_fmt(c.total) if c.total is not None else None)


# ---------------------------------------------------------------------------------------------
# Checks reviewers already automate: template remnants, dates, 项目属性, amounts beside the contract

_REMNANT = re.compile(r"[（(]\s*[≥≤><=]?\s*[*＊]{2,}[^）)]{0,4}[）)]|[*＊]{2,}|[XxＸｘ]{2,}|[×〤]{2,}|…+|\.{3,}|示例|例如|举例")
_FIELD_LABELS = {"title": "表名", "project_name": "项目名称", "competent_department": "主管部门",
                 "implementing_unit": "实施单位", "project_attribute": "项目属性", "project_period": "项目期"}


def place(c: _Ctx) -> None:
    """PLACE-01: text of the blank form left in the table."""
    t = c.t
    fields = [(k, _FIELD_LABELS[k], getattr(t, k), None) for k in _FIELD_LABELS]
    fields += [(f"overall_goals[{i}]", "总体目标", g, None) for i, g in enumerate(t.overall_goals)]
    fields += [(f"annual_goals[{i}]", "年度目标", g, None) for i, g in enumerate(t.annual_goals)]
    for n, ind in enumerate(t.indicators):
        fields += [(indicator_path(n, "name"), "三级指标", ind.name, n),
                   (indicator_path(n, "value_text"), f"“{ind.name}”的指标值", ind.value_text, n)]
    done: set[int | None] = set()
    for key, label, text, n in fields:
        m = _REMNANT.search(text or "")
        if not m or (n is not None and n in done):
            continue
        done.add(n)
        c.emit("PLACE-01", t.indicators[n].name if n is not None else None,
               c.ind_sources(n) if n is not None else c.source(key, text), rests_on=[key],
               field=label, text=text, remnant=m.group(0))


_YM = re.compile(r"(20\d{2})\s*(?:年|[./\-])?\s*(\d{1,2}(?!\d))?(?:\s*月)?(?:\s*\d{1,2}\s*日)?")
_DURATION = re.compile(r"(?<![\d.])([一二两三四五六七八九十]|\d{1,2})\s*(年|个月)(?!度)")
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MONTH_ONLY = re.compile(r"(?<!\d)(\d{1,2})\s*月")


def _period(text: str | None) -> tuple[tuple[int, int], tuple[int, int]] | str | None:
    """项目期's printed (start, end) as (year, month) pairs; "bad" when dates are printed but unreadable."""
    dates = [(int(m.group(1)), int(m.group(2)) if m.group(2) else None) for m in _YM.finditer(squash(text))]
    if len(dates) != 2:
        return None
    (sy, sm), (ey, em) = dates
    if any(mm is not None and not 1 <= mm <= 12 for mm in (sm, em)):
        return "bad"
    return (sy, sm or 1), (ey, em or 12)


def _duration_months(text: str | None) -> int | None:
    m = _DURATION.search(squash(text))
    if not m:
        return None
    k = int(m.group(1)) if m.group(1).isdigit() else _CN_NUM[m.group(1)]
    return k * 12 if m.group(2) == "年" else k


def dates(c: _Ctx) -> None:
    t = c.t
    period = _period(t.project_period)
    if period == "bad":
        for rule in ("DATE-01", "DATE-03"):
            c.cannot(rule, "value_not_parsed", f"项目期“{t.project_period}”")
        period = None
    src = c.source("project_period", t.project_period)
    if period:
        (sy, sm), (ey, em) = period
        if (sy, sm) > (ey, em):
            c.emit("DATE-01", sources=src, rests_on=["project_period"], period=t.project_period,
                   start=f"{sy}年{sm}月", end=f"{ey}年{em}月")
        else:
            stated = _duration_months(re.sub(r"20\d{2}\s*年", "", squash(t.project_period)))
            span = (ey - sy) * 12 + em - sm + 1
            if stated is not None and abs(stated - span) > 1:
                c.emit("DATE-03", sources=src, rests_on=["project_period"], period=t.project_period,
                       stated=stated, span=span)
    one_year = squash(t.project_period) in ("一年", "1年", "")
    for n, ind in enumerate(t.indicators):
        if ind.level2 != "时效指标" or not ind.value_text:
            continue
        vt = squash(ind.value_text)
        when = [(int(m.group(1)), int(m.group(2)) if m.group(2) else 12) for m in _YM.finditer(vt)]
        if not when and t.year and (m := _MONTH_ONLY.search(vt)):
            when = [(t.year, int(m.group(1)))]
        if not when:
            continue
        if any(not 1 <= mm <= 12 for _y, mm in when):
            c.cannot("DATE-02", "value_not_parsed", f"“{ind.name}”{ind.value_text}")
            continue
        latest = max(when)
        rests = [f"indicators[{n}]", "project_period"]
        ctx = dict(name=ind.name, value_text=ind.value_text, year=f"{t.year}年" if t.year else "")
        if period and latest > period[1]:
            c.emit("DATE-02", ind.name, c.ind_sources(n), rests_on=rests, after_end=True,
                   end=f"{period[1][0]}年{period[1][1]}月", **ctx)
        elif not period and one_year and t.year and any(y != t.year for y, _m in when):  # later: RANGE-02 wins
            c.emit("DATE-02", ind.name, c.ind_sources(n), rests_on=rests, after_end=False, end="", **ctx)


_ATTR_SPLIT = re.compile(r"[、,，/／;；\s]+|及|和")


def attribute(c: _Ctx) -> None:
    attr = squash(c.t.project_attribute)
    if not attr:
        return
    allowed = {squash(a) for a in c.config.project_attributes}
    parts = [p.strip("■□☑√✓口") for p in _ATTR_SPLIT.split(attr) if p.strip("■□☑√✓口")]
    if any(p not in allowed for p in parts):
        c.emit("ATTR-01", sources=c.source("project_attribute", c.t.project_attribute),
               rests_on=["project_attribute"], attribute=c.t.project_attribute,
               allowed="、".join(c.config.project_attributes[:6]))


def fund_source(c: _Ctx) -> None:
    """FUND-01/02: amounts the contract has no field for, read from the source text by the checker."""
    f, tol, annual = c.facts, c.config.funds_tolerance, c.total
    if annual is None:
        return
    if f.multi_year_total is not None and annual > f.multi_year_total + tol:
        c.emit("FUND-01", sources=c.source("funds.total_all_levels", _fmt(annual)), rests_on=["funds"],
               annual=_fmt(annual), total=_fmt(f.multi_year_total))
    if f.carryover is not None and f.carryover > annual + tol:
        c.emit("FUND-02", sources=c.source("funds.total_all_levels", _fmt(annual)), rests_on=["funds"],
               carryover=_fmt(f.carryover), annual=_fmt(annual))


TABLE_RULES: list[Callable[[_Ctx], None]] = [comp, goals, consistency, indicators, relevance, feasibility,
                                             place, dates, attribute, fund_source]
# the rules each function decides (a function that raises makes them `error` for that table)
RULES_OF: dict[Callable[[_Ctx], None], list[str]] = {
    comp: [f"COMP-0{i}" for i in range(1, 8)], goals: ["GOAL-01", "GOAL-02", "GOAL-03"],
    consistency: [f"CONS-0{i}" for i in range(1, 6)],
    indicators: [f"MEAS-0{i}" for i in range(1, 9)] + ["DIR-01", "DIR-02", "DIR-03", "DIR-04", "RANGE-01", "RANGE-02",
                                                      "COST-01", "COST-02", "SAT-01", "SAT-02", "APPR-01"],
    relevance: ["REL-01", "REL-02", "REL-03"], feasibility: ["FEAS-01"], place: ["PLACE-01"],
    dates: ["DATE-01", "DATE-02", "DATE-03"], attribute: ["ATTR-01"], fund_source: ["FUND-01", "FUND-02"],
}
BATCH_RULES = ["BATCH-01", "BATCH-02", "DUP-01"]


def _costs(t: ExtractedTable) -> list[Indicator]:
    return [i for i in t.indicators if i.level2 == "成本指标"]


def _any(pattern: re.Pattern, t: ExtractedTable) -> bool:
    return any(pattern.search(i.name) for i in t.indicators)


# when a rule has nothing to judge on a table: not_applicable (else a rule that does not fire has passed)
APPLIES: dict[str, Callable[[_Ctx], bool]] = {
    "COMP-07": lambda c: bool(c.t.indicators),
    "GOAL-01": lambda c: bool(c.t.overall_goals or c.t.annual_goals),
    "GOAL-02": lambda c: bool(c.t.overall_goals or c.t.annual_goals),
    "GOAL-03": lambda c: c.own_column(),
    "CONS-01": lambda c: c.total is not None or c.t.funds.total_own_level is not None,
    "CONS-02": lambda c: c.total is not None or c.t.funds.total_own_level is not None,
    "CONS-03": lambda c: c.total is not None and bool(_costs(c.t)),
    "CONS-04": lambda c: c.total is not None and len(_costs(c.t)) > 1,
    "CONS-05": lambda c: sum(i.unit == "小时" for i in c.t.indicators) > 1,
    "MEAS-02": lambda c: any(i.level2 == "时效指标" for i in c.t.indicators),
    "MEAS-04": lambda c: any(i.name.endswith("率") for i in c.t.indicators),
    "MEAS-05": lambda c: any(i.unit for i in c.t.indicators),
    "MEAS-06": lambda c: any(i.name.endswith("性") for i in c.t.indicators),
    "DIR-01": lambda c: _any(_INVERSE_RATE, c.t),
    "DIR-02": lambda c: _any(_POSITIVE_RATE, c.t),
    "DIR-03": lambda c: _any(_TIME_LIMIT, c.t),
    "DIR-04": lambda c: bool(_costs(c.t)),
    "RANGE-01": lambda c: any(i.unit == "%" for i in c.t.indicators),
    "RANGE-02": lambda c: any(i.unit == "小时" or i.level2 == "时效指标" for i in c.t.indicators),
    "COST-01": lambda c: c.total is not None and bool(_costs(c.t)),
    "COST-02": lambda c: bool(_costs(c.t)),
    "SAT-01": lambda c: any("满意" in i.name for i in c.t.indicators),
    "SAT-02": lambda c: any("满意" in i.name for i in c.t.indicators),
    "REL-01": lambda c: bool(c.t.overall_goals or c.t.annual_goals),
    "REL-02": lambda c: bool(c.t.overall_goals or c.t.annual_goals),
    "APPR-01": lambda c: any(i.level2 == "数量指标" for i in c.t.indicators),
    "FEAS-01": lambda c: squash(c.t.project_attribute) == "一次性项目",
    "DATE-01": lambda c: _period(c.t.project_period) is not None,
    "DATE-02": lambda c: any(i.level2 == "时效指标" and i.value_text and (_YM.search(squash(i.value_text))
                                                                      or _MONTH_ONLY.search(i.value_text))
                             for i in c.t.indicators),
    "DATE-03": lambda c: _period(c.t.project_period) is not None and _duration_months(
        re.sub(r"20\d{2}\s*年", "", squash(c.t.project_period))) is not None,
    "ATTR-01": lambda c: bool(squash(c.t.project_attribute)),
    "FUND-01": lambda c: c.facts.multi_year_total is not None and c.total is not None,
    "FUND-02": lambda c: c.facts.carryover is not None and c.total is not None,
}


# ---------------------------------------------------------------------------------------------
# Batch rules (DUP-01, BATCH-01/02) over every table of a run, through an index on disk


class BatchIndex:
    """What the batch rules need of every table of a run (names, department, content key, indicator
    names), kept in a private temporary SQLite database instead of memory: SQLite deletes it when
    it is closed (it unlinks it on opening, so even a killed run leaves nothing), and holds no more
    of it in memory than its page cache.  So the batch rules cost the same memory for 1,000 tables
    as for 100,000.  Only the counts of the bigrams of indicator names (REL rules) stay in memory:
    they are bounded by the vocabulary, not by the number of tables.

    add() each table in run order, then run() the batch rules; emitted(k) is what they found on the
    k-th table, in the order they found it, to be replayed onto the table's own context
    (review_table), where sources are resolved and unsure fields hold findings back as for any rule.
    The rules are those of §4.5: names are grouped by their normalised form and every substring of
    4+ characters of a name is looked up among the others' whole names, so a run costs a few passes,
    not a comparison of every pair of indicators; a table is never compared with its own copy or
    another reading of the same project (identical content, or the same project of the same
    department, make one group)."""

    _CHUNK = 500  # names looked up in one query (SQLite's limit on parameters is 999 in old builds)

    def __init__(self, config: ReviewConfig):
        import sqlite3

        self.config = config
        self.db = sqlite3.connect("")  # "": private, temporary, on disk
        self.db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -2000;
            CREATE TABLE tables (k INTEGER PRIMARY KEY, grp INTEGER, project TEXT);
            CREATE TABLE groups (key TEXT PRIMARY KEY, grp INTEGER) WITHOUT ROWID;
            CREATE TABLE originals (content TEXT PRIMARY KEY, place TEXT) WITHOUT ROWID;
            CREATE TABLE names (k INTEGER, n INTEGER, name TEXT, norm TEXT);
            CREATE TABLE emitted (k INTEGER, finding BLOB);""")
        self.count = 0
        self.bigrams: dict[str, int] = {}
        self.error: str | None = None

    def _one(self, sql: str, *args):
        row = self.db.execute(sql, args).fetchone()
        return row[0] if row else None

    def _emit(self, k: int, rule: str, indicator: str | None, sources, rests_on: list[str] | None, **context) -> None:
        import pickle

        self.db.execute("INSERT INTO emitted VALUES (?, ?)",
                        (k, pickle.dumps((rule, indicator, sources, None, rests_on, context))))

    def add(self, table: ExtractedTable) -> None:
        k = self.count
        self.count += 1
        if table.indicators:  # §4.5 step 4: in how many tables' indicator names each bigram occurs
            for bg in set().union(*(_bigrams(i.name) for i in table.indicators)):
                self.bigrams[bg] = self.bigrams.get(bg, 0) + 1
        if self.error is not None:
            return
        try:
            self._add(k, table)
        except Exception as e:  # noqa: BLE001 -- fail closed: the batch rules report `error`
            self.error = f"{type(e).__name__}: {e}"

    def _add(self, k: int, table: ExtractedTable) -> None:
        content = content_key(table)
        name = _norm(table.project_name)
        project = f"{name}|{_norm(table.competent_department)}" if name else None
        # the group: the first table with the same content, else the same project of the same department
        g = self._one("SELECT grp FROM groups WHERE key = ?", content)
        if g is None and project:
            g = self._one("SELECT grp FROM groups WHERE key = ?", project)
        g = k if g is None else g
        self.db.executemany("INSERT OR IGNORE INTO groups VALUES (?, ?)", [(content, g)] + ([(project, g)] if project else []))
        self.db.execute("INSERT INTO tables VALUES (?, ?, ?)", (k, g, table.project_name))
        # DUP-01: one finding on every repeated copy of a table (identical contract fields)
        place = self._one("SELECT place FROM originals WHERE content = ?", content)
        if place is not None:
            self._emit(k, "DUP-01", None, ("source", "project_name", table.project_name), None, other=place)
        else:
            p = table.provenance
            self.db.execute("INSERT INTO originals VALUES (?, ?)",
                            (content, f"{p.source_file}" + (f" 第{p.pages[0]}页" if p.pages else "")))
        self.db.executemany("INSERT INTO names VALUES (?, ?, ?, ?)",
                            [(k, n, ind.name, key) for n, ind in enumerate(table.indicators) if (key := _norm(ind.name))])

    def run(self) -> tuple[set[str], str | None]:
        """The batch's frequent bigrams (REL rules), and the batch rules run; the error they raised,
        if any (then every table reports them as `error`, and none of their findings)."""
        frequent = set()
        if self.count >= self.config.rel_batch_min_tables:
            frequent = {bg for bg, n in self.bigrams.items() if 2 * n >= self.count}
        self.bigrams = {}
        if self.error is None:
            try:
                self._names()
            except Exception as e:  # noqa: BLE001 -- fail closed
                self.error = f"{type(e).__name__}: {e}"
        if self.error is not None:
            self.db.execute("DELETE FROM emitted")
        self.db.execute("CREATE INDEX emitted_k ON emitted (k)")
        return frequent, self.error

    def _names(self) -> None:
        """BATCH-01 (the same indicator name in another project) and BATCH-02 (a name contained in
        another project's), one finding per indicator per table, naming the first three other
        projects in run order and counting them.  Worked out per normalised name and per group of
        tables (_others), never per pair of tables: a name such as 服务对象满意度 is held by
        thousands of tables of a province's batch."""
        from itertools import groupby

        db = self.db
        db.executescript("""
            CREATE INDEX names_norm ON names (norm);
            CREATE TABLE norms AS SELECT norm, MIN(rowid) AS first FROM names GROUP BY norm;
            CREATE INDEX norms_first ON norms (first);""")
        # every normalised name with the indicators holding it, names in the order first met
        rows = db.execute("""SELECT names.norm, names.rowid, names.k, names.n, names.name, tables.grp, tables.project
                             FROM norms JOIN names ON names.norm = norms.norm JOIN tables ON tables.k = names.k
                             ORDER BY norms.first, names.rowid""")
        near: dict[str, set[str]] = {}  # a name -> the names it contains or is contained in (4+ characters)
        order: list[str] = []  # names in the order first met
        for norm, group in groupby(rows, key=lambda r: r[0]):
            members = [r[1:] for r in group]  # (rowid, k, n, name, grp, project), in run order
            order.append(norm)
            others = _others([(k, g, p or _UNNAMED) for _r, k, _n, _name, g, p in members], {m[4] for m in members})
            for _r, a, n, name, g, _p in members:
                if others[g] is not None:
                    first, count = others[g]
                    self._emit(a, "BATCH-01", name, ("indicator", n), [f"indicators[{n}]"], name=name,
                               others=first, count=count)
            for part in self._parts_held(norm):
                near.setdefault(norm, set()).add(part)
                near.setdefault(part, set()).add(norm)
        # BATCH-02: for each name, the holders of the names near it, in run order
        for norm in order:
            if norm not in near:
                continue
            holders = self._holders(norm)
            related = heapq.merge(*(self._holders(other) for other in sorted(near[norm])))
            others = _others([(rowid, g, (p or _UNNAMED, name)) for rowid, _k, _n, name, g, p in related],
                             {h[4] for h in holders})
            for _r, a, n, name, g, _p in holders:
                if others[g] is not None:
                    first, count = others[g]
                    other = first[0][1]
                    common = name if _norm(name) in _norm(other) else other  # the shorter of the two names
                    self._emit(a, "BATCH-02", name, ("indicator", n), [f"indicators[{n}]"], name=name,
                               others=first, count=count, common=f"“{common}”")

    def _holders(self, norm: str) -> list[tuple]:
        """(rowid, k, n, name, grp, project) of every indicator whose normalised name is `norm`, in run order."""
        return self.db.execute("""SELECT names.rowid, names.k, names.n, names.name, tables.grp, tables.project
                                  FROM names JOIN tables ON tables.k = names.k WHERE names.norm = ?
                                  ORDER BY names.rowid""", (norm,)).fetchall()

    def _parts_held(self, longer: str) -> set[str]:
        """The names of the batch that are part (4+ characters, not the whole) of `longer`."""
        wanted = list(dict.fromkeys(longer[i:i + size] for size in range(4, len(longer))
                                    for i in range(len(longer) - size + 1)))
        held = set()
        for start in range(0, len(wanted), self._CHUNK):
            chunk = wanted[start:start + self._CHUNK]
            held.update(r[0] for r in self.db.execute(
                f"SELECT DISTINCT norm FROM names WHERE norm IN ({','.join('?' * len(chunk))})", chunk))
        return held

    def emitted(self, k: int) -> list[tuple]:
        """What the batch rules found on the k-th table: (rule, indicator, sources, severity, rests_on, context)."""
        import pickle

        return [pickle.loads(f) for (f,) in self.db.execute("SELECT finding FROM emitted WHERE k = ? ORDER BY rowid", (k,))]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> BatchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_UNNAMED = "（未识别项目名称）"


def _others(entries: list[tuple], groups: set[int]) -> dict[int, tuple[list, int] | None]:
    """For each group of tables in `groups`: the first three labels of `entries` (position, group,
    label; in position order) held outside that group, in position order, and how many distinct
    labels are held outside it; None where there are none.  (BATCH-01: a name's holders labelled
    by project; BATCH-02: the holders of the names near it, labelled by project and name.)

    Worked out once per group, in time linear in the entries, not per table against every other:
    each label is placed at its first holder outside the group, which is its first holder unless
    that one is in the group, then its first holder in another group."""
    first: dict = {}  # label -> [its first holder's group, position, the first other group, its position]
    for at, g, label in entries:
        f = first.get(label)
        if f is None:
            first[label] = [g, at, None, None]
        elif f[2] is None and g != f[0]:
            f[2], f[3] = g, at
    alone: dict[int, int] = {}  # group -> labels held by that group alone
    for g1, _at1, g2, _at2 in first.values():
        if g2 is None:
            alone[g1] = alone.get(g1, 0) + 1
    out: dict[int, tuple[list, int] | None] = {}
    for g in groups:
        count = len(first) - alone.get(g, 0)
        if not count:
            out[g] = None
            continue
        placed: list[tuple] = []
        for label, (g1, at1, g2, at2) in first.items():  # in the order of their first holders
            if sum(at <= at1 for at, _l in placed) >= 3:
                break  # every label from here on is placed at at1 or later
            if g1 != g:
                placed.append((at1, label))
            elif g2 is not None:
                placed.append((at2, label))
        out[g] = ([label for _at, label in sorted(placed, key=lambda x: x[0])[:3]], count)
    return out


def _apply_precedence(findings: list[Finding]) -> list[Finding]:
    fired = {(f.table_ref, f.indicator, f.rule) for f in findings}
    return [f for f in findings
            if not any((f.table_ref, f.indicator, winner) in fired
                       for winner, loser in SUPERSEDES.items() if loser == f.rule)]


def _guarded(fn: Callable, rules: list[str], contexts: list[_Ctx]) -> None:
    """Run one rule function on each table; one that raises is `error` for its rules on that table."""
    for c in contexts:
        before = len(c.out)
        try:
            fn(c)
        except Exception as e:  # noqa: BLE001 -- fail closed: never a crash, never half a result
            del c.out[before:]
            for rule in rules:
                c.errors[rule] = f"{type(e).__name__}: {e}"


def _outcomes(c: _Ctx, findings: list[Finding], batch_size: int) -> dict[str, dict]:
    """Every review rule's outcome on one table (OUTCOMES), with the reasons where it could not be checked."""
    fired = {f.rule for f in findings}
    out = {}
    for fn, rules in [*RULES_OF.items(), (None, BATCH_RULES)]:
        for rule in rules:
            if rule in c.errors:
                out[rule] = {"outcome": "error", "reasons": [c.errors[rule]]}
            elif rule in fired:
                out[rule] = {"outcome": "failed", "reasons": c.unchecked.get(rule, [])}
            elif rule in c.unchecked:
                out[rule] = {"outcome": "could_not_check", "reasons": c.unchecked[rule]}
                if rule in c.held:
                    out[rule]["held"] = c.held[rule]
            elif (fn is None and batch_size < 2) or (rule in APPLIES and not _applies(rule, c)):
                out[rule] = {"outcome": "not_applicable", "reasons": []}
            else:
                out[rule] = {"outcome": "passed", "reasons": []}
    assert all(o["outcome"] in OUTCOMES for o in out.values())
    return out


def _applies(rule: str, c: _Ctx) -> bool:
    try:
        return APPLIES[rule](c)
    except Exception:  # noqa: BLE001 -- a predicate that cannot decide leaves the rule as run
        return True


# ---------------------------------------------------------------------------------------------
# Running the rules: table rules on one table at a time; batch rules over an index of every table


def content_key(t: ExtractedTable) -> str:
    """The identity of a table's content (its contract fields): equal for a table submitted twice."""
    import hashlib

    return hashlib.sha256(t.model_dump_json(include=_CONTRACT).encode()).hexdigest()


_CONTRACT = set(TableData.model_fields)


def batch_index(tables, config: ReviewConfig) -> tuple[BatchIndex, set[str], str | None]:
    """The batch rules run over `tables` (in run order): the index (close it when done), the batch's
    frequent bigrams, and the error the batch rules raised, if any."""
    index = BatchIndex(config)
    try:
        for t in tables:
            index.add(t)
        frequent, error = index.run()
    except BaseException:
        index.close()
        raise
    return index, frequent, error


def review_table(ref: str, table: ExtractedTable, config: ReviewConfig, frequent: set[str],
                 facts: TableFacts | None, emitted: list[tuple], batch_error: str | None,
                 batch_size: int) -> tuple[list[Finding], dict[str, dict]]:
    """One table's review findings (table rules, then what the batch rules emitted for it, then
    precedence) and every review rule's outcome on it."""
    c = _Ctx(table, ref, config, frequent, facts)
    for fn, rules in RULES_OF.items():
        _guarded(fn, rules, [c])
    for rule, indicator, sources, severity, rests_on, context in emitted:
        if isinstance(sources, tuple):
            sources = c.source(*sources[1:]) if sources[0] == "source" else c.ind_sources(sources[1])
        c.emit(rule, indicator, sources, severity, rests_on, **context)
    if batch_error:
        for rule in BATCH_RULES:
            c.errors[rule] = batch_error
    findings = _apply_precedence(c.out)
    return findings, _outcomes(c, findings, batch_size)


def review_outcomes(tables: list[tuple[str, ExtractedTable]], config: ReviewConfig | None = None,
                    facts: dict[str, TableFacts] | None = None) -> tuple[list[Finding], dict[str, dict[str, dict]]]:
    """Findings for a batch of tables (ref, table), and every rule's outcome on every table (ref -> rule -> outcome).

    `facts` (ref -> TableFacts) is what the checker learnt from each table's source; without it only what
    the table itself carries is known (unsure OCR values, an unsure reading)."""
    config = config or ReviewConfig()
    facts = facts or {}
    findings: list[Finding] = []
    outcomes: dict[str, dict[str, dict]] = {}
    index, frequent, error = batch_index((t for _ref, t in tables), config)
    with index:
        for k, (ref, t) in enumerate(tables):
            found, outcomes[ref] = review_table(ref, t, config, frequent, facts.get(ref), index.emitted(k), error,
                                                len(tables))
            findings += found
    return findings, outcomes


def review(tables: list[tuple[str, ExtractedTable]], config: ReviewConfig | None = None,
           facts: dict[str, TableFacts] | None = None) -> list[Finding]:
    """Findings for a batch of tables (ref, table): every table rule, precedence, then the batch rules."""
    return review_outcomes(tables, config, facts)[0]

"""The review rules (docs/rules.md): deterministic conditions on extracted tables.

Each rule reads the contract fields only, so it judges a model's extraction and the rules
extractor's alike.  Wording comes from findings.comment(); precedence and batch rules are applied
in review().
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .findings import RULES, SUPERSEDES, Finding, ReviewConfig, Source, make_finding
from .models import ExtractedTable, Indicator, indicator_path
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


class _Ctx:
    """One table under review, with the helpers every rule needs to emit a finding."""

    def __init__(self, table: ExtractedTable, ref: str, config: ReviewConfig, batch_frequent: set[str]):
        self.t = table
        self.ref = ref
        self.config = config
        self.batch_frequent = batch_frequent
        self.out: list[Finding] = []

    def source(self, key: str, text: str | None) -> list[Source]:
        ev = self.t.evidence.get(key)
        if ev is None or text is None:
            return [Source(text=text, page=None, bbox=None, line=None)] if text else []
        return [Source(text=text, page=ev.page, bbox=ev.bbox, line=ev.line, cell=ev.cell)]

    def ind_sources(self, i: int) -> list[Source]:
        ind = self.t.indicators[i]
        return self.source(indicator_path(i, "name"), ind.name) + self.source(indicator_path(i, "value_text"), ind.value_text)

    def emit(self, rule: str, indicator: str | None = None, sources: list[Source] | None = None,
             severity: str | None = None, **context) -> None:
        self.out.append(make_finding(rule, self.t.project_name, self.ref, indicator, sources or [], severity, **context))

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
            c.emit("COMP-01", field=label)
    columns = [("all", "（含本级和市县）" if c.own_column() else "")] + ([("own", "（含本级）")] if c.own_column() else [])
    for col, scope in columns:
        total = t.funds.total_all_levels if col == "all" else t.funds.total_own_level
        if total is None or total <= 0:
            c.emit("COMP-02", sources=c.source(f"funds.total_{'all_levels' if col == 'all' else 'own_level'}", None),
                   scope=scope)
    if not t.overall_goals and not t.annual_goals:
        c.emit("COMP-03", column="年度绩效目标")
    elif c.own_column():
        if not t.overall_goals and t.funds.total_all_levels:
            c.emit("COMP-03", column="年度总体绩效目标（含本级和市县）")
        if not t.annual_goals and t.funds.total_own_level:
            c.emit("COMP-03", column="年度绩效目标（含本级）")
    filled = {(i.level1, i.level2) for i in t.indicators}
    for level2 in ("数量指标", "质量指标", "时效指标", "成本指标"):
        if ("产出指标", level2) not in filled:
            c.emit("COMP-04", level2=level2)
    if not any(i.level1 == "效益指标" for i in t.indicators):
        c.emit("COMP-05")
    if not any(i.level2 == "服务对象满意度指标" for i in t.indicators):
        c.emit("COMP-06", beneficiaries=_beneficiaries(t))
    for n, ind in enumerate(t.indicators):
        if not ind.value_text:
            c.emit("COMP-07", ind.name, c.ind_sources(n), name=ind.name)


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
        c.emit("GOAL-01", goal=g)
    if not restating and all_goals and all(
            len(_CJK.findall(g)) <= c.config.vague_goal_max_chars and not re.search(r"\d", g) for g in all_goals):
        c.emit("GOAL-02", goal="；".join(all_goals))
    f = t.funds
    same_funds = c.own_column() and (f.total_all_levels, f.fiscal_all_levels, f.other_all_levels) == (
        f.total_own_level, f.fiscal_own_level, f.other_own_level)
    if same_funds and t.overall_goals and t.annual_goals and [_norm(g) for g in t.overall_goals] != [
            _norm(g) for g in t.annual_goals]:
        c.emit("GOAL-03")


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
                c.emit("CONS-01", sources=c.source(f"funds.total_{suffix}", _fmt(total)), scope=label,
                       total=_fmt(total), fiscal=_fmt(fiscal), other=_fmt(other))
        if total is not None and fiscal is not None and fiscal > total + tol:
            c.emit("CONS-02", sources=c.source(f"funds.fiscal_{suffix}", _fmt(fiscal)), kind="fiscal", scope=label,
                   fiscal=_fmt(fiscal), total=_fmt(total))
    if f.total_own_level is not None and f.total_all_levels is not None and f.total_own_level > f.total_all_levels + tol:
        c.emit("CONS-02", sources=c.source("funds.total_own_level", _fmt(f.total_own_level)), kind="levels",
               own=_fmt(f.total_own_level), all=_fmt(f.total_all_levels))
    costs = [(n, i, _money(i)) for n, i in enumerate(t.indicators) if i.level2 == "成本指标" and _money(i) is not None]
    if c.total is not None:
        for n, ind, money in costs:
            if money > c.total + tol:
                c.emit("CONS-03", ind.name, c.ind_sources(n), name=ind.name, value_text=ind.value_text, total=_fmt(c.total))
        capped = [money for _n, ind, money in costs if ind.operator in ("=", "≤")]
        if len(capped) > 1 and sum(capped) > c.total + tol:
            c.emit("CONS-04", sum=_fmt(sum(capped)), total=_fmt(c.total))
    hours = [(n, i) for n, i in enumerate(t.indicators) if i.unit == "小时" and _PER_DAY.search(i.name) and i.value is not None]
    full = [(n, i) for n, i in hours if i.value == 24 and i.operator in ("=", "≥")]
    partial = [(n, i) for n, i in hours if i.operator in ("≥", ">") and i.value < 24]
    if full and partial:
        (na, a), (nb, b) = full[0], partial[0]
        c.emit("CONS-05", sources=c.ind_sources(na) + c.ind_sources(nb), name_a=a.name, value_a=a.value_text,
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
            c.emit("REL-01", goal=goal)
            continue
        uncovered = []
        for clause in _CLAUSE_SPLIT.split(goal):
            if len(_norm(clause)) < c.config.rel_min_clause_chars:
                continue
            if not (_bigrams(clause) - drop) & covered:
                uncovered.append(clause)
        if uncovered:
            c.emit("REL-02", goal=goal, clauses=uncovered)
    for n, ind in enumerate(c.t.indicators):
        suggested = None
        if "满意" in ind.name and ind.level2 != "服务对象满意度指标":
            suggested = "服务对象满意度指标"
        elif ind.level1 == "满意度指标" and "满意" not in ind.name:
            suggested = "相应的产出或效益指标"
        elif _COST_NAME.search(ind.name) and _money(ind) is not None and ind.level2 != "成本指标":
            suggested = "成本指标"
        if suggested:
            c.emit("REL-03", ind.name, c.ind_sources(n), name=ind.name, level2=ind.level2, suggested=suggested)


def feasibility(c: _Ctx) -> None:
    if squash(c.t.project_attribute) == "一次性项目":
        name = squash(c.t.project_name)
        for kw in _RECURRENT:
            if kw in name:
                c.emit("FEAS-01", sources=c.source("project_name", c.t.project_name), keyword=f"“{kw}”")
                break


# ---------------------------------------------------------------------------------------------
# Indicator-level rules


def indicators(c: _Ctx) -> None:
    t, cfg = c.t, c.config
    costs = [i for i in t.indicators if i.level2 == "成本指标"]
    all_costs_percent = bool(costs) and all(i.unit in ("%", "‰") for i in costs)
    for n, ind in enumerate(t.indicators):
        src = c.ind_sources(n)
        name, vt = ind.name, ind.value_text or ""
        ctx = dict(name=name, value_text=vt, level2=ind.level2, unit=ind.unit, operator=ind.operator)

        def emit(rule: str, **extra) -> None:
            c.emit(rule, name, src, **{**ctx, **extra})

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
        if (ind.level2 == "成本指标" and money is not None and ind.operator in ("=", "≤") and c.total is not None
                and abs(money - c.total) <= cfg.funds_tolerance):
            emit("COST-01")
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


TABLE_RULES: list[Callable[[_Ctx], None]] = [comp, goals, consistency, indicators, relevance, feasibility]


# ---------------------------------------------------------------------------------------------
# Batch rules and the whole review


def _batch_frequent(tables: list[ExtractedTable], config: ReviewConfig) -> set[str]:
    """Bigrams in the indicator names of at least half of the batch's tables (§4.5 step 4)."""
    if len(tables) < config.rel_batch_min_tables:
        return set()
    counts: dict[str, int] = {}
    for t in tables:
        for bg in set().union(*(_bigrams(i.name) for i in t.indicators)) if t.indicators else set():
            counts[bg] = counts.get(bg, 0) + 1
    return {bg for bg, n in counts.items() if 2 * n >= len(tables)}


def batch(contexts: list[_Ctx]) -> None:
    """BATCH-01/02 across the run: one finding per indicator per table, naming the other projects.

    Names are indexed (identical names grouped; every substring of 4+ characters looked up) so a
    run of hundreds of tables costs a few passes, not a comparison of every pair of indicators.
    """
    holders: dict[str, list[tuple[int, int]]] = {}  # normalised name -> (context, indicator) pairs
    for a, c in enumerate(contexts):
        for n, ind in enumerate(c.t.indicators):
            key = _norm(ind.name)
            if key:
                holders.setdefault(key, []).append((a, n))
    same: dict[tuple[int, int], list[int]] = {}
    for members in holders.values():
        tables = {a for a, _n in members}
        if len(tables) > 1:
            for a, n in members:
                same.setdefault((a, n), sorted(tables - {a}))
    near: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for longer, members in holders.items():
        for size in range(4, len(longer)):
            for i in range(len(longer) - size + 1):
                part = longer[i:i + size]
                for a, n in holders.get(part, ()):  # `part` is another indicator's whole name
                    for b, m in members:
                        if a != b:
                            near.setdefault((a, n), []).append((b, contexts[b].t.indicators[m].name))
                            near.setdefault((b, m), []).append((a, contexts[a].t.indicators[n].name))
    for (a, n), others in same.items():
        c, ind = contexts[a], contexts[a].t.indicators[n]
        c.emit("BATCH-01", ind.name, c.ind_sources(n), name=ind.name, others=_project_names(contexts, others))
    for (a, n), pairs in near.items():
        c, ind = contexts[a], contexts[a].t.indicators[n]
        pairs = list(dict.fromkeys(pairs))
        first_b, first_name = pairs[0]
        common = ind.name if _norm(ind.name) in _norm(first_name) else first_name
        c.emit("BATCH-02", ind.name, c.ind_sources(n), name=ind.name,
               others=[(contexts[b].t.project_name or "（未识别项目名称）", other) for b, other in pairs],
               common=f"“{common}”")


def _project_names(contexts: list[_Ctx], indices: list[int]) -> list[str]:
    return list(dict.fromkeys(contexts[i].t.project_name or "（未识别项目名称）" for i in indices))


def _apply_precedence(findings: list[Finding]) -> list[Finding]:
    fired = {(f.table_ref, f.indicator, f.rule) for f in findings}
    return [f for f in findings
            if not any((f.table_ref, f.indicator, winner) in fired
                       for winner, loser in SUPERSEDES.items() if loser == f.rule)]


def review(tables: list[tuple[str, ExtractedTable]], config: ReviewConfig | None = None) -> list[Finding]:
    """Findings for a batch of tables (ref, table): every table rule, precedence, then the batch rules."""
    config = config or ReviewConfig()
    frequent = _batch_frequent([t for _r, t in tables], config)
    contexts = [_Ctx(t, ref, config, frequent) for ref, t in tables]
    for c in contexts:
        for rule in TABLE_RULES:
            rule(c)
    batch(contexts)
    return _apply_precedence([f for c in contexts for f in c.out])

#!/usr/bin/env python3
"""Validate the gold of the seed fixtures against the seed text.

usage: check_fixtures.py [--fixtures DIR]

DIR (default: tests/data/ of the repository) must hold
seed-tables.txt (the original tables as text) and seed-gold.json;
seed-gold-messy.json is checked too when present.  Standard library only.

Checks, per table (the seed is split at its title lines, gold is in the
same order):
  - header fields (名称, 主管部门, 实施单位, 项目属性, 项目期) as printed;
  - funds re-read from the seed (万元; blank 其他资金 -> null);
  - every goal occurs, as "目标N：<goal>", in its goal cell (whitespace removed),
    and the number of goals equals the number of 目标N： markers;
  - every indicator name and value_text occurs in the table (whitespace
    removed), "：<name><value_text>" occurs, in the seed's order;
  - indicator count == number of non-empty "指标N：" lines of the table;
  - level2 == the level-2 label printed above the indicator, level1 matches;
  - operator/value/unit follow the schema rules from value_text.
Prints OK or the mismatches; exit status 0 or 1.
"""
import argparse
import json
import os
import re
import sys

TITLE = "2024年部门项目支出预算绩效目标表"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "tests", "data"))
KEYS = ["title", "year", "project_name", "competent_department", "implementing_unit",
        "project_attribute", "project_period", "funds", "overall_goals", "annual_goals",
        "indicators"]
FUND_KEYS = ["total_all_levels", "fiscal_all_levels", "other_all_levels",
             "total_own_level", "fiscal_own_level", "other_own_level"]
IND_KEYS = ["level1", "level2", "name", "value_text", "operator", "value", "unit"]
L2_OF = {"数量指标": "产出指标", "质量指标": "产出指标", "时效指标": "产出指标", "成本指标": "产出指标",
         "经济效益指标": "效益指标", "社会效益指标": "效益指标", "生态效益指标": "效益指标",
         "可持续影响指标": "效益指标", "服务对象满意度指标": "满意度指标"}
NUM = r"(\d+(?:\.\d+)?)"


def nows(s):
    return re.sub(r"\s+", "", s)


def seed_tables(text):
    out, cur = [], None
    for ln in text.split("\n"):
        if ln.strip() == TITLE:
            cur = []
            out.append(cur)
        elif cur is not None:
            cur.append(ln)
    return ["\n".join(t) for t in out]


def expect_value(vt):
    """(operator, value, unit) that the schema rules give for value_text."""
    m = re.fullmatch(r"([≥≤><=]?)" + NUM + r"(.*)", vt)
    if not m:
        return (None, None, None)
    return (m.group(1) or "=", float(m.group(2)), m.group(3) or None)


def num(s):
    return None if s is None else float(s)


def check_table(i, body, g, errs):
    pre = f"table {i} ({g.get('project_name')}):"

    def err(msg):
        errs.append(f"{pre} {msg}")

    for k in KEYS:
        if k not in g:
            err(f"missing key {k}")
    if g.get("title") != TITLE:
        err(f"title {g.get('title')!r}")
    if g.get("year") != 2024:
        err(f"year {g.get('year')!r}")
    flat = nows(body)
    lines = body.split("\n")
    # header rows, as printed
    m = next((re.match(r"项目名称\s+(.+)$", ln) for ln in lines if ln.startswith("项目名称")), None)
    if not m or m.group(1).strip() != g.get("project_name"):
        err(f"project_name {g.get('project_name')!r} vs seed {m and m.group(1)!r}")
    want = f"主管部门{g.get('competent_department')}实施单位{g.get('implementing_unit')}"
    if want not in flat:
        err(f"{want!r} not in seed")
    want = f"项目属性{g.get('project_attribute')}项目期{g.get('project_period')}"
    if want not in flat:
        err(f"{want!r} not in seed")
    # funds
    f = g.get("funds") or {}
    seed_f = {}
    m = re.search(r"年度资金总额（含本级和市县）：" + NUM + "万", flat)
    seed_f["total_all_levels"] = num(m and m.group(1))
    m = re.search(r"年度资金总额（含本级）：" + NUM + "万", flat)
    seed_f["total_own_level"] = num(m and m.group(1))
    fis = re.findall(r"其中：财政拨款" + NUM + "?万?", flat)
    oth = re.findall(r"其他资金" + NUM + "?万?", flat)
    if len(fis) != 2 or len(oth) != 2:
        err(f"funds rows not found in seed ({fis}, {oth})")
    else:
        seed_f["fiscal_all_levels"], seed_f["fiscal_own_level"] = (num(x or None) for x in fis)
        seed_f["other_all_levels"], seed_f["other_own_level"] = (num(x or None) for x in oth)
    for k in FUND_KEYS:
        gv = f.get(k, "<absent>")
        gv = float(gv) if isinstance(gv, (int, float)) else gv
        if gv != seed_f.get(k):
            err(f"funds.{k} gold {f.get(k, '<absent>')!r} seed {seed_f.get(k)!r}")
    # goals
    a = flat.find("年度总体绩效目标（含本级和市县）")
    b = flat.find("年度绩效目标（含本级）")
    c = flat.find("绩效指标一级指标")
    if not (0 <= a < b < c):
        err("goal cells not found in seed")
    else:
        for key, cell in (("overall_goals", flat[a:b]), ("annual_goals", flat[b:c])):
            goals = g.get(key) or []
            n = len(re.findall(r"目标\d+：", cell))
            if n != len(goals):
                err(f"{key}: {len(goals)} goals, seed cell has {n} 目标N： markers")
            for j, goal in enumerate(goals, 1):
                if not goal or f"目标{j}：{nows(goal)}" not in cell:
                    err(f"{key}[{j - 1}] {goal!r} not in seed cell as 目标{j}：…")
                if goal != goal.strip().rstrip("；;。"):
                    err(f"{key}[{j - 1}] keeps trailing punctuation/space")
    # indicators
    filled = []
    for ln in lines:
        m = re.match(r"^\s*指标\d+：(.*)$", ln)
        if m and m.group(1).strip():
            filled.append(nows(m.group(1)))
    inds = g.get("indicators") or []
    if len(inds) != len(filled):
        err(f"{len(inds)} indicators in gold, {len(filled)} non-empty 指标N： lines in seed")
    labels = [(mm.start(), lab) for lab in L2_OF for mm in re.finditer(lab, flat)]
    pos = 0
    for j, d in enumerate(inds):
        for k in IND_KEYS:
            if k not in d:
                err(f"indicator {j} missing key {k}")
        name, vt = d.get("name") or "", d.get("value_text") or ""
        if nows(name) not in flat:
            err(f"indicator name {name!r} not in seed")
        if nows(vt) not in flat:
            err(f"value_text {vt!r} not in seed")
        if j < len(filled) and filled[j] != nows(name) + nows(vt):
            err(f"indicator {j}: gold {name + vt!r} vs seed line {filled[j]!r}")
        at = flat.find("：" + nows(name) + nows(vt), pos)
        if at < 0:
            err(f"'：{name}{vt}' not found (in order) in seed")
            continue
        pos = at + 1
        before = [lab for p, lab in sorted(labels) if p < at]
        l2 = before[-1] if before else None
        if d.get("level2") != l2:
            err(f"{name}: level2 {d.get('level2')!r}, seed label above it is {l2!r}")
        if d.get("level1") != L2_OF.get(l2):
            err(f"{name}: level1 {d.get('level1')!r}, expected {L2_OF.get(l2)!r}")
        op, val, unit = expect_value(nows(vt))
        gval = float(d["value"]) if isinstance(d.get("value"), (int, float)) else d.get("value")
        if (d.get("operator"), gval, d.get("unit")) != (op, val, unit):
            err(f"{name}: operator/value/unit {(d.get('operator'), d.get('value'), d.get('unit'))} "
                f"but value_text {vt!r} gives {(op, val, unit)}")
    return len(inds)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=DEFAULT_DIR)
    args = ap.parse_args(argv)
    seed = open(os.path.join(args.fixtures, "seed-tables.txt"), encoding="utf-8").read()
    bodies = seed_tables(seed)
    errs = []
    gold = json.load(open(os.path.join(args.fixtures, "seed-gold.json"), encoding="utf-8"))
    if not isinstance(gold, list) or len(gold) != len(bodies):
        errs.append(f"seed-gold.json: {len(gold)} tables, seed has {len(bodies)}")
    n_ind = 0
    for i, (body, g) in enumerate(zip(bodies, gold), 1):
        n_ind += check_table(i, body, g, errs)
    messy = os.path.join(args.fixtures, "seed-gold-messy.json")
    if os.path.exists(messy):
        mg = json.load(open(messy, encoding="utf-8"))
        key = lambda t: json.dumps(t, ensure_ascii=False, sort_keys=True)
        if sorted(map(key, mg)) != sorted(map(key, gold)):
            errs.append("seed-gold-messy.json is not a reordering of seed-gold.json")
    if errs:
        print("\n".join(errs))
        print(f"{len(errs)} mismatch(es)")
        return 1
    print(f"OK ({len(gold)} tables, {n_ind} indicators; "
          f"per table {[len(g['indicators']) for g in gold]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

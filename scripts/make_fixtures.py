#!/usr/bin/env python3
"""Build test fixtures for the 绩效目标表 extractor from seed-tables.txt
(7 tables of one county office, text extracted from an original PDF).

usage:
    python scripts/make_fixtures.py --seed PATH/seed-tables.txt [--out DIR]
    python scripts/make_fixtures.py            # re-run from DIR/seed-tables.txt

DIR defaults to tests/data/ of the repository.  Needs
pymupdf, numpy and opencv-python-headless.  Deterministic: fixed random
seeds, fixed PDF metadata, reproducible PDF saving.

Writes into DIR:
    seed-tables.txt        byte copy of the seed text
    seed-tables.pdf        text-layer PDF, A4 portrait, one table per page
    seed-tables-scan.pdf   the same pages as 200 dpi scan-like images only
    seed-tables-scan-p1.png  page 1 of the scan as PNG
    seed-tables-messy.pdf  text-layer PDF with harder pages (see MESSY_PLAN)
    seed-gold.json         gold extraction, hand-transcribed (GOLD_SRC below)
and prints a verification report (text layer vs seed, find_tables).

The PDF layout is driven by a parser of the seed text (cell line breaks are
kept exactly as the seed shows them).  The gold is NOT derived from that
parser: it is the hand-written GOLD_SRC list, and the script only
cross-checks the two and stops on any disagreement.
"""
import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import sys

import cv2
import numpy as np
import pymupdf

TITLE = "2024年部门项目支出预算绩效目标表"
SEED_NAME = "seed-tables.txt"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "tests", "data"))

A4 = pymupdf.paper_rect("a4")          # 595 x 842 pt, portrait
FONT = pymupdf.Font("cjk")             # PyMuPDF built-in CJK font (Droid Sans Fallback)
FONTNAME = "F0"                        # embedded (subset) with ToUnicode
META = {
    "title": TITLE + " (test fixture)",
    "author": "",
    "subject": "generated from " + SEED_NAME,
    "keywords": "",
    "creator": "tools/make_fixtures.py",
    "producer": "PyMuPDF",
    "creationDate": "D:20240101000000Z",
    "modDate": "D:20240101000000Z",
}

# ---------------------------------------------------------------------------
# Hand-transcribed gold (read from the seed text by a person, table by table).
# funds order: total_all, fiscal_all, other_all, total_own, fiscal_own, other_own
# indicators: (level1, level2, name, value_text); only filled 指标N： slots.
# ---------------------------------------------------------------------------
P, X, S = "产出指标", "效益指标", "满意度指标"
GOLD_SRC = [
    dict(project_name="财政核定做实职业年金",
         funds=(4.83, 4.83, None, 4.83, 4.83, None),
         overall=["做实职业年金"],
         annual=["做实职业年金"],
         ind=[(P, "数量指标", "做实职业年金缴纳人数", "10人"),
              (P, "质量指标", "核定做实职业年金缴纳完成率", "100%"),
              (P, "时效指标", "职业年金缴纳完成时间", "当年完成"),
              (P, "成本指标", "做实职业年金总额", "4.83万元"),
              (X, "社会效益指标", "社会福利保障程度", "提高"),
              (X, "可持续影响指标", "提升职工工作积极性及质量", "有效提升"),
              (S, "服务对象满意度指标", "职工满意度", "≥90%")]),
    dict(project_name="网评工作经费",
         funds=(5, 5, None, 5, 5, None),
         overall=["建设一支拉得出、用得上、打的赢的网络评论队伍",
                  "建立健全网评阵地及网上指挥体系",
                  "将网络评论纳入培训计划，提高党员干部网络舆论素养"],
         annual=["建设一支拉得出、用得上、打的赢的网络评论队伍",
                 "建立健全网评阵地及网上指挥体系",
                 "将网络评论纳入培训计划，提高党员干部网络舆论素养"],
         ind=[(P, "数量指标", "网评员培训次数", "1次"),
              (P, "数量指标", "网评员队伍人数", "≥50人"),
              (P, "质量指标", "队伍人员资质合格率", "100%"),
              (P, "时效指标", "任务完成及时性", "100%"),
              (P, "时效指标", "网评员补贴津贴及稿酬发放及时性", "100%"),
              (P, "成本指标", "网评工作费用", "≤5万元"),
              (X, "社会效益指标", "弘扬正能量，引导网络舆论", "加强"),
              (S, "服务对象满意度指标", "网评员系统使用满意率", "≥90%")]),
    dict(project_name="综合业务费",
         funds=(10, 10, None, 10, 10, None),
         overall=["确保全县信息运行、网络安全监测、信息化建设及其他业务工作正常开展"],
         annual=["确保全县信息运行、网络安全监测、信息化建设及其他业务工作正常开展"],
         ind=[(P, "数量指标", "召开网信委员会工作会议次数", "≥1次"),
              (P, "数量指标", "召开信息化工作会议次数", "≥1次"),
              (P, "质量指标", "网信工作会议出席率", "≥85%"),
              (P, "时效指标", "网络运行故障响应率", "1"),
              (P, "时效指标", "会议召开及时性", "1"),
              (P, "成本指标", "综合业务费", "10万元"),
              (X, "社会效益指标", "信息化工作影响力", "提升"),
              (S, "服务对象满意度指标", "网信委员会成员满意度", "≥90%")]),
    dict(project_name="网信专线服务费",
         funds=(2.23, 2.23, None, 2.23, 2.23, None),
         overall=["确保网信专线正常运行"],
         annual=["确保网信专线正常运行"],
         ind=[(P, "数量指标", "召开网信专题视频会议次数", "≥2次"),
              (P, "质量指标", "网络可用率", "≥98%"),
              (P, "质量指标", "专线故障率", "≤98%"),
              (P, "时效指标", "故障响应率", "100%"),
              (P, "时效指标", "故障维修时效", "≤2小时"),
              (P, "成本指标", "移动专线租用成本", "2.23万元"),
              (X, "社会效益指标", "网信工作、网络文化及网络文明建设速度", "提升"),
              (S, "服务对象满意度指标", "专线使用满意度", "≥90%")]),
    dict(project_name="网络宣传工作经费",
         funds=(3, 3, None, 3, 3, None),
         overall=["组织各党政机关事业单位积极开展线上线下宣传活动，使网络宣传主题深入人心",
                  "深入开展网络诚信、网络安全等主题宣传，让诚信和安全入心入脑"],
         annual=["组织各党政机关事业单位积极开展线上线下宣传活动，使网络宣传主题深入人心",
                 "深入开展网络诚信、网络安全等主题宣传，让诚信和安全入心入脑"],
         ind=[(P, "数量指标", "开展线上线下主题宣传活动次数", "≥2次"),
              (P, "数量指标", "制作并播放网络主题宣传片次数", "≥1次"),
              (P, "质量指标", "主题宣传县域覆盖率", "≥65%"),
              (P, "质量指标", "责任单位宣传活动参与率", "≥85%"),
              (P, "时效指标", "主题宣传开展时效性", "及时"),
              (P, "成本指标", "网络宣传工作经费", "3万元"),
              (X, "社会效益指标", "网络安全、网络诚信等主题宣传影响力", "加强"),
              (X, "可持续影响指标", "群众网络安全、网络诚信意识", "提升"),
              (S, "服务对象满意度指标", "群众满意度", "≥90%")]),
    dict(project_name="舆情监测工作经费",
         funds=(10, 10, None, 10, 10, None),
         overall=["实时监测网络涉永舆情，做到早发现、早处置",
                  "运用专业检测系统开展网络舆情信息监测、分析"],
         annual=["实时监测网络涉永舆情，做到早发现、早处置",
                 "运用专业检测系统开展网络舆情信息监测、分析"],
         ind=[(P, "数量指标", "印发舆情专报及快报期数", "≥20期"),
              (P, "数量指标", "舆情监测日均时长", "24小时"),
              (P, "质量指标", "系统重点舆情监测率", "≥80%"),
              (P, "质量指标", "监测软件正常使用率", "≥90%"),
              (P, "时效指标", "网络舆情处置上报时限", "≤2小时"),
              (P, "时效指标", "系统日平均无故障时间", "≥22小时"),
              (P, "成本指标", "舆情监测软件使用费", "≤10万元"),
              (X, "社会效益指标", "有效提升网络舆情处置率", "提升"),
              (S, "服务对象满意度指标", "舆情专报及快报阅读者满意率", "≥90%")]),
    dict(project_name="2024年电子政务外网运营维护费",
         funds=(200, 200, None, 200, 200, None),
         overall=["全县电子政务统一接入全区电子政务外网和公共云平台工作，并按照规范化、标准化设计、"
                  "开发、建设电子政务应用系统，促进各级各部门业务协同和信息共享",
                  "覆盖各级机关事业单位、乡镇（街道）、行政村（社区）、教育卫生机构、服务机构等，"
                  "与电子政务公共云平台实现融合无缝对接"],
         annual=["全县电子政务统一接入全区电子政务外网和公共云平台工作，并按照规范化、标准化设计、"
                 "开发、建设电子政务应用系统，促进各级各部门业务协同和信息共享",
                 "覆盖各级机关事业单位、乡镇（街道）、行政村（社区）、教育卫生机构、服务机构等，"
                 "与电子政务公共云平台实现融合无缝对接"],
         ind=[(P, "数量指标", "政务外网覆盖率", "≥98%"),
              (P, "质量指标", "全年政务外网畅通率", "≥90%"),
              (P, "质量指标", "系统故障率", "≤5%"),
              (P, "时效指标", "故障维修及时性", "≥95%"),
              (P, "时效指标", "外网故障处置时间", "≤4小时"),
              (P, "成本指标", "2024年电子政务外网运营维护费", "200万元"),
              (X, "社会效益指标", "网络安全保障能力", "提升")]),
    # table 7: both 服务对象满意度指标 slots (指标1：, 指标2：) are empty -> no indicator
]
FUND_KEYS = ["total_all_levels", "fiscal_all_levels", "other_all_levels",
             "total_own_level", "fiscal_own_level", "other_own_level"]

VALUE_RE = re.compile(r"([≥≤><=]?)(\d+(?:\.\d+)?)(.*)")


def parse_value(value_text):
    """Schema rule: optional operator, number, unit rest; qualitative -> nulls."""
    m = VALUE_RE.fullmatch(value_text)
    if not m:
        return None, None, None
    num = float(m.group(2))
    num = int(num) if num.is_integer() else num
    return (m.group(1) or "="), num, (m.group(3) or None)


def build_gold():
    out = []
    for g in GOLD_SRC:
        inds = []
        for l1, l2, name, vt in g["ind"]:
            op, val, unit = parse_value(vt)
            inds.append({"level1": l1, "level2": l2, "name": name, "value_text": vt,
                         "operator": op, "value": val, "unit": unit})
        out.append({
            "title": TITLE,
            "year": 2024,
            "project_name": g["project_name"],
            "competent_department": "县委网信办",
            "implementing_unit": "县委网信办",
            "project_attribute": "一次性项目",
            "project_period": "一年",
            "funds": dict(zip(FUND_KEYS, g["funds"])),
            "overall_goals": list(g["overall"]),
            "annual_goals": list(g["annual"]),
            "indicators": inds,
        })
    return out


# ---------------------------------------------------------------------------
# Seed parser (drives the PDF layout; keeps every line break of the seed)
# ---------------------------------------------------------------------------
IND_RE = re.compile(r"^\s*(指标\d+：)(.*)$")


def split_tables(text):
    """Return the body text of each table (lines after each title line)."""
    tables, cur = [], None
    for ln in text.split("\n"):
        if ln.strip() == TITLE:
            cur = []
            tables.append(cur)
        elif cur is not None:
            cur.append(ln)
    return ["\n".join(t) for t in tables]


def parse_table(body):
    blocks = [b.split("\n") for b in re.split(r"\n[ \t]*\n", body) if b.strip()]
    # drop trailing blank lines inside blocks
    blocks = [[ln for ln in b if ln.strip()] for b in blocks]
    it = iter(blocks)
    t = {}
    b = next(it)
    assert len(b) == 1 and b[0].startswith("项目名称 "), b
    t["project_name"] = b[0].split(" ", 1)[1].strip()
    b = next(it)
    tok = b[0].split(" ")
    assert len(b) == 1 and tok[0] == "主管部门" and tok[2] == "实施单位", b
    t["dept"], t["unit"] = tok[1], tok[3]
    b = next(it)
    tok = b[0].split(" ")
    assert len(b) == 1 and tok[0] == "项目属性" and tok[2] == "项目期", b
    t["attr"], t["period"] = tok[1], tok[3]
    b = next(it)
    assert b == ["项目资金", "（万元）"], b
    t["funds_label"] = b
    t["funds"] = []
    for _ in range(3):
        b = next(it)
        assert len(b) == 1, b
        left, right = b[0].split(" ")
        t["funds"].append((left, right))
    b = next(it)
    assert b == ["绩效目标"], b
    b = next(it)
    assert b[0].startswith("年度总体绩效目标（含本级和市县）"), b
    t["goal_left"] = b
    b = next(it)
    assert b[0].startswith("年度绩效目标（含本级）"), b
    t["goal_right"] = b
    b = next(it)
    assert b == ["绩", "效", "指", "标"], b
    t["ind_label"] = b
    b = next(it)
    assert b == ["一级", "指标"], b
    t["hdr1"] = b
    b = next(it)
    assert b == ["二级指标 三级指标 指标值"], b
    t["hdr_rest"] = b[0].split(" ")
    groups = []
    for b in it:
        if len(b) >= 3 and all(len(x.strip()) == 1 for x in b):
            groups.append({"l1": [x.strip() for x in b], "l2": []})
            continue
        for ln in b:
            m = IND_RE.match(ln)
            if m:
                rest = m.group(2).strip()
                if rest:
                    name, value = rest.rsplit(" ", 1)
                    cell = ln[:ln.rstrip().rfind(" ")]
                else:
                    name, value, cell = "", "", ln.rstrip()
                groups[-1]["l2"][-1]["rows"].append(
                    {"slot": m.group(1), "name": name, "value": value, "cell": cell})
            else:
                l2s = groups[-1]["l2"]
                if not l2s or l2s[-1]["rows"]:
                    l2s.append({"label": [], "rows": []})
                l2s[-1]["label"].append(ln.strip())
    t["groups"] = groups
    return t


def goals_from_lines(lines, label):
    s = "".join(x.strip() for x in lines)
    assert s.startswith(label)
    s = s[len(label):]
    parts = [p for p in re.split(r"目标\d+：", s) if p.strip()]
    return [p.strip().rstrip("；;。") for p in parts]


def canon_l1(s):
    return "满意度指标" if s.startswith("满意度") else s


def fund_value(cell):
    m = re.search(r"(\d+(?:\.\d+)?)万", cell)
    if not m:
        return None
    v = float(m.group(1))
    return int(v) if v.is_integer() else v


def cross_check(parsed, gold):
    """Compare the hand gold with what the layout parser read from the seed."""
    errs = []
    if len(parsed) != len(gold):
        errs.append(f"table count parsed {len(parsed)} gold {len(gold)}")
    for i, (t, g) in enumerate(zip(parsed, gold), 1):
        pre = f"table {i} {g['project_name']}:"
        for k, v in [("project_name", t["project_name"]), ("competent_department", t["dept"]),
                     ("implementing_unit", t["unit"]), ("project_attribute", t["attr"]),
                     ("project_period", t["period"])]:
            if g[k] != v:
                errs.append(f"{pre} {k} gold {g[k]!r} seed {v!r}")
        fv = [fund_value(t["funds"][0][0]), fund_value(t["funds"][1][0]), fund_value(t["funds"][2][0]),
              fund_value(t["funds"][0][1]), fund_value(t["funds"][1][1]), fund_value(t["funds"][2][1])]
        if [g["funds"][k] for k in FUND_KEYS] != fv:
            errs.append(f"{pre} funds gold {g['funds']} seed {fv}")
        og = goals_from_lines(t["goal_left"], "年度总体绩效目标（含本级和市县）")
        ag = goals_from_lines(t["goal_right"], "年度绩效目标（含本级）")
        if og != g["overall_goals"]:
            errs.append(f"{pre} overall_goals gold {g['overall_goals']} seed {og}")
        if ag != g["annual_goals"]:
            errs.append(f"{pre} annual_goals gold {g['annual_goals']} seed {ag}")
        seed_inds = []
        for grp in t["groups"]:
            l1 = canon_l1("".join(grp["l1"]))
            for l2 in grp["l2"]:
                l2n = "".join(l2["label"])
                for r in l2["rows"]:
                    if r["name"]:
                        seed_inds.append((l1, l2n, r["name"], r["value"]))
        gold_inds = [(d["level1"], d["level2"], d["name"], d["value_text"]) for d in g["indicators"]]
        if seed_inds != gold_inds:
            for a, b in zip(seed_inds, gold_inds):
                if a != b:
                    errs.append(f"{pre} indicator seed {a} gold {b}")
            if len(seed_inds) != len(gold_inds):
                errs.append(f"{pre} indicator count seed {len(seed_inds)} gold {len(gold_inds)}")
    return errs


# ---------------------------------------------------------------------------
# Layout: a grid of cells (row span r0..r1, x0..x1 relative to table left)
# ---------------------------------------------------------------------------
def tl(s, fs):
    return FONT.text_length(s, fontsize=fs)


def make_layout(tables, fs, pad_x=0.4, pad_y=0.35, lh=1.35, lh_v=1.25, minrow=None,
                line_w=0.6, outer_w=1.1):
    L = dict(fs=fs, pad_x=pad_x * fs, pad_y=pad_y * fs, lh=lh * fs, lh_v=lh_v * fs,
             line_w=line_w, outer_w=outer_w)
    L["minrow"] = minrow if minrow else L["lh"] + 2 * L["pad_y"]
    px2 = 2 * L["pad_x"] + 0.3 * fs
    w0, wL = 2.4 * fs, 5.4 * fs
    left = [s for t in tables for s in t["goal_left"] + [f[0] for f in t["funds"]] + [t["dept"]]]
    right = [s for t in tables for s in t["goal_right"] + [f[1] for f in t["funds"]]]
    wA = max(tl(s, fs) for s in left) + px2
    wB = max(tl(s, fs) for s in right) + px2
    W = wL + wA + wB
    w2, w4 = 5.2 * fs, 6.4 * fs
    L.update(w0=w0, wL=wL, xm=wL + wA, W=W, x3=wL + w2, x4=W - w4)
    names = [r["cell"] for t in tables for g in t["groups"] for l2 in g["l2"] for r in l2["rows"]]
    assert L["x4"] - L["x3"] >= max(tl(s, fs) for s in names) + px2, "三级指标 column too narrow"
    return L


def build_grid(t, L):
    cells = []

    def add(r0, r1, x0, x1, lines, halign="center", vertical=False, kind=""):
        cells.append(dict(r0=r0, r1=r1, x0=x0, x1=x1, lines=list(lines), halign=halign,
                          vertical=vertical, kind=kind))

    W, wL, xm, w0, x3, x4 = L["W"], L["wL"], L["xm"], L["w0"], L["x3"], L["x4"]
    add(0, 1, 0, wL, ["项目名称"])
    add(0, 1, wL, W, [t["project_name"]], "left")
    add(1, 2, 0, wL, ["主管部门"])
    add(1, 2, wL, xm, [t["dept"]])
    add(1, 2, xm, xm + wL, ["实施单位"])
    add(1, 2, xm + wL, W, [t["unit"]])
    add(2, 3, 0, wL, ["项目属性"])
    add(2, 3, wL, xm, [t["attr"]])
    add(2, 3, xm, xm + wL, ["项目期"])
    add(2, 3, xm + wL, W, [t["period"]])
    add(3, 6, 0, wL, t["funds_label"])
    for k, (a, b) in enumerate(t["funds"]):
        add(3 + k, 4 + k, wL, xm, [a], "left")
        add(3 + k, 4 + k, xm, W, [b], "left")
    add(6, 7, 0, wL, ["绩效目标"])
    add(6, 7, wL, xm, t["goal_left"], "left")
    add(6, 7, xm, W, t["goal_right"], "left")
    hdr = 7
    n_ind = sum(len(l2["rows"]) for g in t["groups"] for l2 in g["l2"])
    nrows = hdr + 1 + n_ind
    add(hdr, nrows, 0, w0, t["ind_label"], vertical=True, kind="c0")
    add(hdr, hdr + 1, w0, wL, t["hdr1"], kind="hdr")
    add(hdr, hdr + 1, wL, x3, [t["hdr_rest"][0]], kind="hdr")
    add(hdr, hdr + 1, x3, x4, [t["hdr_rest"][1]], kind="hdr")
    add(hdr, hdr + 1, x4, W, [t["hdr_rest"][2]], kind="hdr")
    r = hdr + 1
    l2_starts = []
    for g in t["groups"]:
        n1 = sum(len(l2["rows"]) for l2 in g["l2"])
        add(r, r + n1, w0, wL, g["l1"], vertical=True, kind="l1")
        for l2 in g["l2"]:
            l2_starts.append(r)
            add(r, r + len(l2["rows"]), wL, x3, l2["label"], kind="l2")
            for row in l2["rows"]:
                add(r, r + 1, x3, x4, [row["cell"]], "left", kind="name")
                add(r, r + 1, x4, W, [row["value"]] if row["value"] else [], kind="value")
                r += 1
    assert r == nrows
    return dict(cells=cells, nrows=nrows, hdr=hdr, l2_starts=l2_starts)


def split_grid(grid, split):
    """Split before row `split`; the second part starts with a copy of the
    indicator header row.  Merged cells crossing the split keep their text in
    the first fragment; the second fragment is blank (what Word does), except
    the 绩效指标 column, which belongs to the repeated header."""
    hdr = grid["hdr"]
    a, b = [], []
    for c in grid["cells"]:
        if c["r1"] <= split:
            a.append(c)
            if c["r0"] == hdr and c["r1"] == hdr + 1:
                b.append(dict(c, r0=0, r1=1))
        elif c["r0"] >= split:
            b.append(dict(c, r0=c["r0"] - split + 1, r1=c["r1"] - split + 1))
        else:
            a.append(dict(c, r1=split))
            if c["kind"] == "c0":
                b.append(dict(c, r0=0, r1=c["r1"] - split + 1))
            else:
                b.append(dict(c, r0=1, r1=c["r1"] - split + 1, lines=[]))
    return (dict(cells=a, nrows=split, hdr=hdr),
            dict(cells=b, nrows=grid["nrows"] - split + 1, hdr=0))


def need_height(c, L):
    n = len(c["lines"])
    return n * (L["lh_v"] if c["vertical"] else L["lh"]) + 2 * L["pad_y"]


def row_heights(grid, L):
    h = [L["minrow"]] * grid["nrows"]
    for c in grid["cells"]:
        if c["r1"] - c["r0"] == 1:
            h[c["r0"]] = max(h[c["r0"]], need_height(c, L))
    for c in sorted((c for c in grid["cells"] if c["r1"] - c["r0"] > 1),
                    key=lambda c: c["r1"] - c["r0"]):
        deficit = need_height(c, L) - sum(h[c["r0"]:c["r1"]])
        if deficit > 0:
            n = c["r1"] - c["r0"]
            for r in range(c["r0"], c["r1"]):
                h[r] += deficit / n
    return h


def put_text(page, x, y_base, s, fs, **kw):
    page.insert_text((x, y_base), s, fontname=FONTNAME, fontsize=fs, **kw)


def draw_grid(page, grid, L, X, Y):
    """Draw borders and text of a grid with its top-left corner at (X, Y).
    Text is emitted row by row, left to right (merged cells at their first
    row), which is the reading order of the seed text.  Returns bottom y."""
    fs = L["fs"]
    h = row_heights(grid, L)
    ys = [Y]
    for v in h:
        ys.append(ys[-1] + v)
    shape = page.new_shape()
    for c in grid["cells"]:
        shape.draw_rect(pymupdf.Rect(X + c["x0"], ys[c["r0"]], X + c["x1"], ys[c["r1"]]))
    shape.finish(color=(0, 0, 0), width=L["line_w"])
    shape.draw_rect(pymupdf.Rect(X, Y, X + L["W"], ys[-1]))
    shape.finish(color=(0, 0, 0), width=L["outer_w"])
    shape.commit()
    for c in sorted(grid["cells"], key=lambda c: (c["r0"], c["x0"])):
        if not c["lines"]:
            continue
        x0, x1 = X + c["x0"], X + c["x1"]
        y0, y1 = ys[c["r0"]], ys[c["r1"]]
        lh = L["lh_v"] if c["vertical"] else L["lh"]
        top = y0 + (y1 - y0 - len(c["lines"]) * lh) / 2
        for i, s in enumerate(c["lines"]):
            base = top + i * lh + (lh - fs) / 2 + 0.88 * fs
            if c["halign"] == "left":
                x = x0 + L["pad_x"]
            else:
                x = x0 + (x1 - x0 - tl(s, fs)) / 2
            put_text(page, x, base, s, fs)
    return ys[-1]


def draw_title(page, L, y_top, fs_t):
    w = tl(TITLE, fs_t)
    put_text(page, (page.rect.width - w) / 2, y_top + 0.9 * fs_t, TITLE, fs_t,
             render_mode=2, border_width=0.02)
    return y_top + 1.25 * fs_t + 0.6 * L["fs"]


def new_page(doc):
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_font(fontname=FONTNAME, fontbuffer=FONT.buffer)
    return page


def draw_table_page(doc, t, L, fs_t, top=52):
    page = new_page(doc)
    grid = build_grid(t, L)
    X = (page.rect.width - L["W"]) / 2
    y = draw_title(page, L, top, fs_t)
    bottom = draw_grid(page, grid, L, X, y)
    assert bottom < page.rect.height - 30, f"table {t['project_name']} does not fit"
    return page


def save_pdf(doc, path):
    doc.set_metadata(META)
    doc.subset_fonts()
    doc.save(path, garbage=4, deflate=True, no_new_id=True, reproducible=True)


# ---------------------------------------------------------------------------
# The three PDFs
# ---------------------------------------------------------------------------
FS = 9.5          # body font size of the clean PDF
FS_T = 16         # title font size


def make_clean(tables, path):
    L = make_layout(tables, FS)
    doc = pymupdf.open()
    for t in tables:
        draw_table_page(doc, t, L, FS_T)
    save_pdf(doc, path)
    return L


MESSY_PLAN = """\
page 1: tables 1+2 stacked on one page, compact (6.5 pt text)
page 2: table 3, ordinary page
page 3: table 4, page.set_rotation(90) (content drawn upright, page rotated)
page 4-5: table 5 with taller rows (min 30 pt); rows break before the first
          level-2 group that no longer fits (page 4 ends with 生态效益指标,
          page 5 has 可持续影响指标 and the 满意度指标 block); page 5 starts with a
          repeated indicator header row (绩效指标 column repeated); the 效益指标
          level-1 fragment on page 5 is blank, as Word leaves a split merged cell
page 6: table 6, ordinary page
page 7: table 7, ordinary page"""


def make_messy(tables, path):
    doc = pymupdf.open()
    notes = []
    # page 1: two tables on one page
    Lc = make_layout(tables, 6.5, pad_y=0.22, lh=1.2, lh_v=1.1, line_w=0.45, outer_w=0.9)
    page = new_page(doc)
    y = 36
    X = (page.rect.width - Lc["W"]) / 2
    for k in (0, 1):
        y = draw_title(page, Lc, y, 11)
        y = draw_grid(page, build_grid(tables[k], Lc), Lc, X, y) + 26
    assert y - 26 < page.rect.height - 24, "two tables do not fit on page 1"
    notes.append(f"page 1: tables 1+2, bottom at {y - 26:.0f} pt")
    L = make_layout(tables, FS)
    # page 2: table 3
    draw_table_page(doc, tables[2], L, FS_T)
    # page 3: table 4, rotated
    page = draw_table_page(doc, tables[3], L, FS_T)
    page.set_rotation(90)
    # pages 4-5: table 5 split across a page break
    Ls = make_layout(tables, FS, minrow=30)
    grid = build_grid(tables[4], Ls)
    page = new_page(doc)
    X = (page.rect.width - Ls["W"]) / 2
    y0 = draw_title(page, Ls, 52, FS_T)
    h = row_heights(grid, Ls)
    bottom_limit = page.rect.height - 40
    split = None
    for r in grid["l2_starts"]:
        if y0 + sum(h[:r]) <= bottom_limit:
            split = r
    assert split and split < grid["nrows"]
    ga, gb = split_grid(grid, split)
    ya = draw_grid(page, ga, Ls, X, y0)
    page = new_page(doc)
    yb = draw_grid(page, gb, Ls, X, 52)
    assert yb < page.rect.height - 30
    l2_labels = ["".join(l2["label"]) for g in tables[4]["groups"] for l2 in g["l2"]]
    notes.append("pages 4-5: table 5 split before level-2 group '%s' (page 4 bottom %.0f pt)"
                 % (l2_labels[grid["l2_starts"].index(split)], ya))
    # pages 6-7
    draw_table_page(doc, tables[5], L, FS_T)
    draw_table_page(doc, tables[6], L, FS_T)
    save_pdf(doc, path)
    return notes


SCAN_DPI = 200


def degrade(gray, rng):
    """Scan-like artefacts on a clean 8-bit grey page image."""
    hgt, wid = gray.shape
    angle = float(rng.uniform(0.3, 1.5) * rng.choice([-1.0, 1.0]))
    m = cv2.getRotationMatrix2D((wid / 2, hgt / 2), angle, 1.0)
    m[:, 2] += rng.uniform(-12, 12, size=2)       # small shift on the glass
    img = cv2.warpAffine(gray, m, (wid, hgt), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), float(rng.uniform(0.6, 0.9)))
    # grey paper with uneven illumination, ink not fully black
    yy, xx = np.mgrid[0:hgt, 0:wid].astype(np.float32)
    paper = (rng.uniform(222, 234) + rng.uniform(-7, 7) * (xx / wid - 0.5)
             + rng.uniform(-7, 7) * (yy / hgt - 0.5))
    low = cv2.GaussianBlur(rng.normal(0, 1, (hgt // 16, wid // 16)).astype(np.float32), (0, 0), 4)
    low = cv2.resize(low / (np.abs(low).max() + 1e-6), (wid, hgt), interpolation=cv2.INTER_CUBIC)
    paper = paper + 4 * low
    ink = rng.uniform(28, 45)
    out = paper - (paper - ink) * (1.0 - img / 255.0)
    out += rng.normal(0, rng.uniform(5, 8), out.shape).astype(np.float32)
    # a few dust specks
    for _ in range(int(rng.integers(15, 40))):
        cv2.circle(out, (int(rng.integers(0, wid)), int(rng.integers(0, hgt))),
                   int(rng.integers(1, 3)), float(rng.uniform(60, 140)), -1)
    out = np.clip(out, 0, 255).astype(np.uint8)
    q = int(rng.integers(55, 76))
    ok, jpg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return jpg.tobytes(), angle, q


def make_scan(clean_path, pdf_path, png_path):
    src = pymupdf.open(clean_path)
    doc = pymupdf.open()
    info = []
    for i, p in enumerate(src):
        pix = p.get_pixmap(dpi=SCAN_DPI, colorspace=pymupdf.csGRAY, alpha=False)
        gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
        rng = np.random.default_rng(20240 + i)
        jpg, angle, q = degrade(gray.copy(), rng)
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_image(page.rect, stream=jpg)
        info.append(f"page {i + 1}: {pix.width}x{pix.height} px, rotation {angle:+.2f} deg, JPEG q{q}")
        if i == 0:
            dec = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_GRAYSCALE)
            cv2.imwrite(png_path, dec, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    doc.set_metadata(META)
    doc.save(pdf_path, garbage=4, deflate=True, no_new_id=True, reproducible=True)
    return info


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------
def nows(s):
    return re.sub(r"\s+", "", s)


def diff_summary(expected, got):
    sm = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    ops = [(op, expected[i1:i2], got[j1:j2]) for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal"]
    return sm.ratio(), ops


def verify(out, seed_text, tables_text):
    ok = True
    print("== seed-tables.pdf: get_text() vs seed (whitespace removed) ==")
    doc = pymupdf.open(os.path.join(out, "seed-tables.pdf"))
    assert doc.page_count == len(tables_text)
    all_got = []
    for i, page in enumerate(doc):
        got = page.get_text()
        all_got.append(got)
        exp = nows(TITLE + tables_text[i])
        ratio, ops = diff_summary(exp, nows(got))
        words = seed_text_words(TITLE + "\n" + tables_text[i])
        missing = [w for w in words if nows(w) not in nows(got)]
        tabs = page.find_tables()
        shapes = [(t.row_count, t.col_count) for t in tabs.tables]
        print(f"page {i + 1}: {len(exp)} chars, ratio {ratio:.4f}, {len(ops)} diff ops, "
              f"{len(words) - len(missing)}/{len(words)} seed words found, "
              f"find_tables: {len(shapes)} table(s) {shapes}")
        for op in ops[:5]:
            print("   ", op)
        ok &= not ops and not missing and len(shapes) >= 1
    ratio, ops = diff_summary(nows(seed_text), nows("".join(all_got)))
    print(f"whole document vs whole seed: ratio {ratio:.4f}, {len(ops)} diff ops")
    ok &= not ops
    print("== seed-tables-messy.pdf ==")
    doc = pymupdf.open(os.path.join(out, "seed-tables-messy.pdf"))
    messy_text = nows("".join(p.get_text() for p in doc))
    words = seed_text_words(seed_text)
    missing = [w for w in words if nows(w) not in messy_text]
    print(f"{doc.page_count} pages; {len(words) - len(missing)}/{len(words)} seed words found in text layer")
    for i, page in enumerate(doc):
        tabs = page.find_tables()
        raw = page.find_tables(use_layout=False)
        print(f"page {i + 1}: rotation {page.rotation}, find_tables: {len(tabs.tables)} table(s) "
              f"{[(t.row_count, t.col_count) for t in tabs.tables]}; use_layout=False: "
              f"{len(raw.tables)} {[(t.row_count, t.col_count) for t in raw.tables]}")
        ok &= len(raw.tables) >= 1
    ok &= not missing
    print("== seed-tables-scan.pdf ==")
    doc = pymupdf.open(os.path.join(out, "seed-tables-scan.pdf"))
    txt = "".join(p.get_text() for p in doc).strip()
    imgs = [len(p.get_images()) for p in doc]
    print(f"{doc.page_count} pages, text layer chars: {len(txt)}, images per page: {imgs}")
    ok &= (not txt) and all(n == 1 for n in imgs)
    return ok


def seed_text_words(text):
    return [w for w in text.split() if w]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", help="path of " + SEED_NAME + " (default: OUT/seed-tables.txt)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    out = args.out
    os.makedirs(out, exist_ok=True)
    seed_copy = os.path.join(out, "seed-tables.txt")
    if args.seed:
        if os.path.abspath(args.seed) != os.path.abspath(seed_copy):
            shutil.copyfile(args.seed, seed_copy)
    elif not os.path.exists(seed_copy):
        ap.error("no --seed given and no " + seed_copy)
    seed_text = open(seed_copy, encoding="utf-8").read()

    tables_text = split_tables(seed_text)
    tables = [parse_table(b) for b in tables_text]
    gold = build_gold()
    errs = cross_check(tables, gold)
    if errs:
        print("gold and seed disagree:\n  " + "\n  ".join(errs))
        return 1
    print(f"parsed {len(tables)} tables; hand gold agrees with the seed "
          f"({sum(len(g['indicators']) for g in gold)} indicators: "
          f"{[len(g['indicators']) for g in gold]})")

    with open(os.path.join(out, "seed-gold.json"), "w", encoding="utf-8") as f:
        json.dump(gold, f, ensure_ascii=False, indent=2)
        f.write("\n")
    stale = os.path.join(out, "seed-gold-messy.json")   # messy PDF keeps the seed's table order
    if os.path.exists(stale):
        os.remove(stale)

    clean = os.path.join(out, "seed-tables.pdf")
    L = make_clean(tables, clean)
    print(f"clean layout: body {FS} pt, table width {L['W']:.0f} pt on A4 {A4.width:.0f} pt")
    for n in make_messy(tables, os.path.join(out, "seed-tables-messy.pdf")):
        print(n)
    for n in make_scan(clean, os.path.join(out, "seed-tables-scan.pdf"),
                       os.path.join(out, "seed-tables-scan-p1.png")):
        print("scan", n)

    ok = verify(out, seed_text, tables_text)
    print("== files ==")
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name)
        md5 = hashlib.md5(open(p, "rb").read()).hexdigest()[:12]
        print(f"{os.path.getsize(p):>9}  {md5}  {name}")
    print("VERIFY OK" if ok else "VERIFY FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Score extracted performance-target tables against gold.

usage: python -m jixiao.score GOLD.json PRED.json [--min F1] [--verbose]

Both files hold a JSON list of table objects in the gold format
(docs/contract.md); PRED may also be an object with a "tables" list,
or a JSON-lines file with one table per line. Extra keys in PRED are ignored.
Prints per-table misses (with --verbose) and a last line
"field-F1 X.XXX (precision P, recall R, tables matched M/N)".
Exit 0 when F1 >= --min (default 1.0), else 1.
"""
import json
import re
import sys

HEADER = ["title", "year", "project_name", "competent_department",
          "implementing_unit", "project_attribute", "project_period"]
FUNDS = ["total_all_levels", "fiscal_all_levels", "other_all_levels",
         "total_own_level", "fiscal_own_level", "other_own_level"]
IND_FIELDS = ["value_text", "operator", "value", "unit"]


def norm(v):
    if isinstance(v, str):
        return re.sub(r"\s+", "", v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def load(path):
    text = open(path, encoding="utf-8").read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        for key in ("tables", "results", "items"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    out = []
    for t in data:
        # accept a wrapper {"table": {...}} or {"extraction": {...}}
        for key in ("table", "extraction", "data"):
            if isinstance(t, dict) and isinstance(t.get(key), dict) and "project_name" in t[key]:
                t = t[key]
                break
        out.append(t)
    return out


def atoms(t):
    """Flatten one table into {key: value} atomic facts."""
    a = {}
    for k in HEADER:
        a[k] = norm(t.get(k))
    funds = t.get("funds") or {}
    for k in FUNDS:
        v = funds.get(k)
        a["funds." + k] = round(float(v), 4) if isinstance(v, (int, float)) else v
    for k in ("overall_goals", "annual_goals"):
        for i, g in enumerate(t.get(k) or []):
            a[f"{k}[{i}]"] = norm(g)
    for ind in t.get("indicators") or []:
        key = f"ind[{norm(ind.get('level1'))}/{norm(ind.get('level2'))}/{norm(ind.get('name'))}]"
        a[key] = True
        for f in IND_FIELDS:
            a[f"{key}.{f}"] = norm(ind.get(f))
    return a


def compare(gold, pred, verbose=False):
    """(precision, recall, F1, matched tables, miss lines) of PRED's tables against GOLD's."""
    lines = []
    by_name = {}
    for t in pred:
        by_name.setdefault(norm(t.get("project_name")), []).append(t)
    tp = fn = fp = 0
    matched = 0
    for g in gold:
        cands = by_name.get(norm(g.get("project_name"))) or []
        p = cands.pop(0) if cands else None
        ga = atoms(g)
        pa = atoms(p) if p else {}
        if p:
            matched += 1
        for k, v in ga.items():
            if v is None and k not in pa:
                continue
            if k in pa and pa[k] == v:
                tp += 1
            else:
                fn += 1
                if verbose:
                    lines.append(f"MISS {g.get('project_name')} {k}: gold={v!r} got={pa.get(k, '<absent>')!r}")
        for k, v in pa.items():
            if k not in ga and v is not None:
                fp += 1
                if verbose:
                    lines.append(f"EXTRA {g.get('project_name')} {k}: {v!r}")
    for rest in by_name.values():
        for p in rest:
            extra = sum(1 for v in atoms(p).values() if v is not None)
            fp += extra
            if verbose:
                lines.append(f"EXTRA TABLE {p.get('project_name')} ({extra} fields)")
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1, matched, lines


def main(argv):
    args = [x for x in argv if not x.startswith("--")]
    verbose = "--verbose" in argv
    need = 1.0
    if "--min" in argv:
        need = float(argv[argv.index("--min") + 1])
        args = [x for x in args if x != argv[argv.index("--min") + 1]]
    gold, pred = load(args[0]), load(args[1])
    prec, rec, f1, matched, lines = compare(gold, pred, verbose)
    for line in lines:
        print(line)
    print(f"field-F1 {f1:.3f} (precision {prec:.3f}, recall {rec:.3f}, tables matched {matched}/{len(gold)})")
    return 0 if f1 >= need - 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

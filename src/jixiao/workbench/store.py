"""The reviewer's decisions, kept in SQLite inside the run folder (DIR/.jixiao-review.sqlite).

A decision is stored against a finding key: the rule, the table, the indicator and the evidence
the finding rests on (its source texts, pages and boxes; for a finding with no evidence, its
drafted text, which is made from the values it judges).  A re-run that produces the same finding
keeps the decision; one whose finding in the same place (rule, table, indicator) rests on changed
evidence shows the earlier decision as reopened.  Every change is one short IMMEDIATE transaction
and is also appended to a log, so two tabs deciding at once never lose a decision.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from . import REVIEW_DB

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    fkey TEXT PRIMARY KEY, slot TEXT NOT NULL, table_ref TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason TEXT, text TEXT, drafted TEXT NOT NULL, reviewer TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_slot ON decisions (slot);
CREATE TABLE IF NOT EXISTS notes (table_ref TEXT PRIMARY KEY, text TEXT NOT NULL, reviewer TEXT NOT NULL, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS corrections (
    table_ref TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, original TEXT,
    reviewer TEXT NOT NULL, ts REAL NOT NULL, PRIMARY KEY (table_ref, field));
CREATE TABLE IF NOT EXISTS projects (table_ref TEXT PRIMARY KEY, done INTEGER NOT NULL, reviewer TEXT NOT NULL, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, reviewer TEXT NOT NULL, action TEXT NOT NULL,
    table_ref TEXT, target TEXT, detail TEXT);
"""


def finding_key(f) -> str:
    """A finding's identity across runs: rule, table, indicator and the evidence it rests on."""
    evidence = [[s.text, s.page, [round(x) for x in s.bbox] if s.bbox else None, s.line] for s in f.evidence]
    basis = evidence if evidence else f.message
    raw = json.dumps([f.rule, f.table_ref, f.indicator, basis], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def finding_slots(findings) -> list[str]:
    """Where each finding stands (rule, table, indicator, and its place among equals): a finding in
    the same slot with another key is the same question on changed evidence."""
    seen: dict[tuple, int] = {}
    out = []
    for f in findings:
        k = (f.rule, f.table_ref, f.indicator or "")
        seen[k] = seen.get(k, 0) + 1
        out.append("|".join((*k, str(seen[k]))))
    return out


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"


class Store:
    def __init__(self, folder: Path, reviewer: str | None = None):
        self.path = Path(folder) / REVIEW_DB
        self.reviewer = reviewer or default_reviewer()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # one connection per operation: safe from any thread, and short transactions
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def _write(self, action: str, table_ref: str | None, target: str | None, detail: dict, statements) -> None:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            now = time.time()
            for sql, args in statements(now):
                db.execute(sql, args)
            db.execute("INSERT INTO log (ts, reviewer, action, table_ref, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
                       (now, self.reviewer, action, table_ref, target, json.dumps(detail, ensure_ascii=False)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # -- changes --------------------------------------------------------------------------------
    def decide(self, fkey: str, slot: str, table_ref: str, status: str, drafted: str, reason: str | None = None,
               text: str | None = None) -> None:
        if status not in ("accepted", "rejected"):
            raise ValueError(status)
        self._write(status, table_ref, fkey, {"reason": reason, "text": text}, lambda now: [(
            "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (fkey, slot, table_ref, status, reason, text, drafted, self.reviewer, now))])

    def undecide(self, fkey: str, table_ref: str) -> None:
        self._write("undo", table_ref, fkey, {}, lambda now: [("DELETE FROM decisions WHERE fkey = ?", (fkey,))])

    def note(self, table_ref: str, text: str) -> None:
        self._write("note", table_ref, None, {"text": text}, lambda now: [
            ("INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?)", (table_ref, text, self.reviewer, now))])

    def correct(self, table_ref: str, field: str, value: str | None, original: str | None) -> None:
        if value is None:
            stmts = lambda now: [("DELETE FROM corrections WHERE table_ref = ? AND field = ?", (table_ref, field))]  # noqa: E731
        else:
            stmts = lambda now: [("INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?, ?)",  # noqa: E731
                                  (table_ref, field, value, original, self.reviewer, now))]
        self._write("correct", table_ref, field, {"value": value, "original": original}, stmts)

    def mark_done(self, table_ref: str, done: bool) -> None:
        self._write("done" if done else "reopen", table_ref, None, {}, lambda now: [
            ("INSERT OR REPLACE INTO projects VALUES (?, ?, ?, ?)", (table_ref, int(done), self.reviewer, now))])

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything decided, read in one transaction."""
        db = self._connect()
        try:
            db.execute("BEGIN")
            decisions = {r["fkey"]: dict(r) for r in db.execute("SELECT * FROM decisions")}
            notes = {r["table_ref"]: dict(r) for r in db.execute("SELECT * FROM notes")}
            corrections: dict[str, dict[str, dict]] = {}
            for r in db.execute("SELECT * FROM corrections"):
                corrections.setdefault(r["table_ref"], {})[r["field"]] = dict(r)
            projects = {r["table_ref"]: dict(r) for r in db.execute("SELECT * FROM projects")}
            db.execute("COMMIT")
        finally:
            db.close()
        by_slot: dict[str, dict] = {}
        for d in sorted(decisions.values(), key=lambda d: d["ts"]):
            by_slot[d["slot"]] = d
        return {"decisions": decisions, "by_slot": by_slot, "notes": notes, "corrections": corrections,
                "projects": projects}

    def log(self, limit: int = 1000) -> list[dict]:
        db = self._connect()
        try:
            return [dict(r) for r in db.execute("SELECT * FROM log ORDER BY id DESC LIMIT ?", (limit,))]
        finally:
            db.close()


def run_note(folder: Path) -> str | None:
    """After `jixiao run` or `jixiao review` rewrote a folder's findings: what became of the
    reviewer's decisions there (None when nobody has decided anything yet)."""
    if not (Path(folder) / REVIEW_DB).is_file():
        return None
    from .runview import RunView

    view = RunView(Path(folder))
    s = view.summary()
    if not s["decided"] and not s["reopened"]:
        return None
    return (f"review decisions in {folder}: {s['decided']} kept, {s['reopened']} reopened because the finding's "
            f"evidence changed, {s['gone']} on findings no longer raised (jixiao serve {folder} to look)")

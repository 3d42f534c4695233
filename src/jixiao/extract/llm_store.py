"""The model backend's SQLite store: validated-result cache, call log, and the structured-output
mode that worked for each (base URL, model).  Standard library only; migrations are numbered
functions applied once each, as in simonw/llm.

Nothing secret is written: requests are stored without headers, and base URLs lose any
user:password part before they are stored or shown.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.executescript("""
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY, ts REAL NOT NULL, base_url TEXT, model TEXT, mode TEXT,
            attempt INTEGER, source_file TEXT, pages TEXT, chunk_sha TEXT,
            request TEXT, response TEXT, prompt_tokens INTEGER, completion_tokens INTEGER,
            duration_ms INTEGER, error TEXT
        );
        CREATE TABLE cache (
            key TEXT PRIMARY KEY, ts REAL NOT NULL, model TEXT, mode TEXT, result TEXT NOT NULL
        );
        CREATE TABLE modes (
            base_url TEXT NOT NULL, model TEXT NOT NULL, mode TEXT NOT NULL, ts REAL NOT NULL,
            PRIMARY KEY (base_url, model)
        );
    """)


def default_path() -> Path:
    home = os.environ.get("JIXIAO_HOME")
    if home:
        return Path(home) / "jixiao.db"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jixiao" / "jixiao.db"


def public_url(url: str | None) -> str:
    """A base URL without user:password, safe to store and print."""
    if not url:
        return ""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    # the SDK keeps a trailing slash on base URLs: one endpoint, one key
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


class Store:
    def __init__(self, path: Path | None = None):
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection shared by the worker threads
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock, self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied REAL)")
            done = {r[0] for r in self.db.execute("SELECT name FROM _migrations")}
            for fn in MIGRATIONS:
                if fn.__name__ not in done:
                    fn(self.db)
                    self.db.execute("INSERT INTO _migrations VALUES (?, ?)", (fn.__name__, time.time()))

    # cache ------------------------------------------------------------------------------------
    def cached(self, key: str) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT result FROM cache WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def remember(self, key: str, model: str, mode: str, result: dict) -> None:
        """Only validated results come here: a failure is never cached."""
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?)",
                            (key, time.time(), model, mode, json.dumps(result, ensure_ascii=False)))

    # ladder -----------------------------------------------------------------------------------
    def mode_for(self, base_url: str, model: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT mode FROM modes WHERE base_url = ? AND model = ?",
                                  (public_url(base_url), model)).fetchone()
        return row[0] if row else None

    def set_mode(self, base_url: str, model: str, mode: str) -> None:
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO modes VALUES (?, ?, ?, ?)",
                            (public_url(base_url), model, mode, time.time()))

    # log --------------------------------------------------------------------------------------
    def log(self, **row) -> None:
        row["base_url"] = public_url(row.get("base_url"))
        for k in ("request", "response"):
            if row.get(k) is not None and not isinstance(row[k], str):
                row[k] = json.dumps(row[k], ensure_ascii=False)
        cols = ", ".join(row)
        with self._lock, self.db:
            self.db.execute(f"INSERT INTO calls (ts, {cols}) VALUES (?, {', '.join('?' * len(row))})",
                            (time.time(), *row.values()))

    def calls(self, limit: int = 20, source: str | None = None) -> list[dict]:
        query = "SELECT * FROM calls"
        args: list = []
        if source:
            query += " WHERE source_file LIKE ?"
            args.append(f"%{source}%")
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            cur = self.db.execute(query, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    def close(self) -> None:
        self.db.close()

"""pglearn import: a PM's own history from JSON Lines, through COPY, all or nothing (docs/demo.md, "Import").

actions.jsonl, one action per line (the roadmap 1.1 format plus where and when it happened):
  {"position_id": "p1", "ts": "2026-03-02T10:00:00Z", "pattern_key": "pm.uptrend.S1.buy_flag",
   "action_type": "E1", "action_category": "entry", "scope": {...10 dims...}, "controls": {...}}
trades.jsonl, one closed position per line:
  {"position_id": "p1", "closed_at": "2026-03-03T08:00:00Z", "rr": 1.4, "details": {"cf_entry_delay_bars": 2}}

Rows go through COPY into learning.action_log and learning.completed_trades, so the same triggers validate
them as learning.log_action / learning.close_trade. Both files load in one transaction: the first bad line
raises ImportLineError (file, line number, reason, SQLSTATE) and nothing of the batch stays. A line that is not
valid UTF-8 (22021), holds a NUL character (22021; PostgreSQL text cannot), is not JSON (22P02) or holds NaN or
Infinity (22023; JSON has no such numbers) is refused here, before anything is sent.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import psycopg

from .bulk import copy_rows
from .errors import PglearnError
from .progress import bar

ACTION_FIELDS = {"position_id": str, "ts": str, "pattern_key": str, "action_type": str, "scope": dict, "controls": dict}
TRADE_FIELDS = {"position_id": str, "closed_at": str, "rr": (int, float)}


class ImportLineError(PglearnError):
    """A line of an import file is malformed or fails validation; nothing of the batch was loaded."""

    def __init__(self, path: Path, line: int, reason: str, sqlstate: str = ""):
        super().__init__(f"{path}:{line}: {reason}", sqlstate=sqlstate)
        self.path, self.line, self.reason = path, line, reason


def check_readable(*paths: Path) -> None:
    """OSError (one line: the file and why) unless every path is a readable regular file."""
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(2, "no such file" if not path.exists() else "not a regular file", str(path))
        if not os.access(path, os.R_OK):
            raise PermissionError(13, "not readable", str(path))


def _non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_non_finite(v) for v in value)
    return False


def _records(path: Path, fields: dict):
    """(line number, record) per non-blank line; ImportLineError on bad encoding or JSON or a missing/mistyped field."""
    with path.open("rb") as fh:
        for no, raw in enumerate(bar(fh, desc=f"import {path.name}", unit=" lines"), start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportLineError(path, no, f"not valid UTF-8 (byte {exc.start + 1})", "22021") from None
            if not text.strip():
                continue
            if "\x00" in text or "\\u0000" in text:
                raise ImportLineError(path, no, "holds a NUL character, which PostgreSQL text cannot store", "22021")
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ImportLineError(path, no, f"not valid JSON: {exc.msg} (column {exc.colno})", "22P02") from None
            except RecursionError:
                raise ImportLineError(path, no, "not valid JSON: nested too deeply", "22P02") from None
            if not isinstance(rec, dict):
                raise ImportLineError(path, no, "a line must be one JSON object", "22023")
            for name, typ in fields.items():
                if not isinstance(rec.get(name), typ) or isinstance(rec.get(name), bool):
                    raise ImportLineError(path, no, f"field {name} is missing or not a {getattr(typ, '__name__', 'number')}",
                                          "22023")
            if _non_finite(rec):
                raise ImportLineError(path, no, "holds NaN or Infinity: every number must be finite", "22023")
            yield no, rec


def _copy_lines(conn: psycopg.Connection, path: Path, table: str, columns: str, rows) -> int:
    """COPY rows ((line, values) pairs) into learning.<table>; a database error names the file line."""
    lines: list[int] = []  # file line of each COPY row, to name the line a database error is about

    def values():
        for no, row in rows:
            lines.append(no)
            yield row

    try:
        return copy_rows(conn, table, columns, values())
    except psycopg.Error as exc:
        m = re.search(r"COPY \w+, line (\d+)", exc.diag.context or "")
        if not m:
            raise
        line = lines[int(m.group(1)) - 1] if int(m.group(1)) <= len(lines) else lines[-1]
        reason = exc.diag.message_primary or str(exc)
        if exc.diag.message_hint:
            reason += f" (hint: {exc.diag.message_hint})"
        raise ImportLineError(path, line, reason, exc.diag.sqlstate or "") from None


def import_history(conn: psycopg.Connection, actions: Path, trades: Path) -> dict:
    """Load both files in one transaction of conn; returns {"actions": n, "trades": n}."""
    actions, trades = Path(actions), Path(trades)
    check_readable(actions, trades)
    with conn.transaction():
        n_actions = _copy_lines(conn, actions, "action_log", "position_id, ts, pattern_key, action_type, action_category, scope, controls", (
            (no, (r["position_id"], r["ts"], r["pattern_key"], r["action_type"], r.get("action_category"),
                  json.dumps(r["scope"]), json.dumps(r["controls"])))
            for no, r in _records(actions, ACTION_FIELDS)))
        n_trades = _copy_lines(conn, trades, "completed_trades", "position_id, closed_at, rr, details", (
            (no, (r["position_id"], r["closed_at"], r["rr"], json.dumps(r.get("details", {}))))
            for no, r in _records(trades, TRADE_FIELDS)))
    return {"actions": n_actions, "trades": n_trades}

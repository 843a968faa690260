"""Client(dsn): one method per public SQL function of the learning schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .errors import translate

STATUS_TABLES = (
    "action_log",
    "completed_trades",
    "pattern_scope_stats",
    "learning_lessons",
    "runtime_override",
    "learning_regime_weights",
    "learning_edge_history",
    "learning_latent_factors",
    "override_application",
    "job_runs",
)


class Client:
    """Thin wrapper over the learning schema. Errors with a documented SQLSTATE raise pglearn.errors types.

    Client(dsn) opens its own autocommit connection; Client(conn=...) uses the caller's connection
    (and its transaction), which is how tests and batch loaders group calls.
    """

    def __init__(self, dsn: str | None = None, *, conn: psycopg.Connection | None = None):
        if (dsn is None) == (conn is None):
            raise ValueError("pass exactly one of dsn or conn")
        self._owned = conn is None
        self.conn = conn if conn is not None else psycopg.connect(dsn, autocommit=True)

    def close(self) -> None:
        if self._owned:
            self.conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, sql: str, params: tuple) -> Any:
        try:
            row = self.conn.execute(sql, params).fetchone()
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return row[0] if row else None

    def log_action(
        self,
        position_id: str,
        pattern_key: str,
        action_type: str,
        scope: dict,
        controls: dict,
        ts: datetime | None = None,
    ) -> int:
        """learning.log_action: store one action, return its id."""
        return self._one(
            "SELECT learning.log_action(%s, %s, %s, %s, %s, coalesce(%s::timestamptz, now()))",
            (position_id, pattern_key, action_type, Jsonb(scope), Jsonb(controls), ts),
        )

    def close_trade(
        self, position_id: str, rr: float, closed_at: datetime | None = None, details: dict | None = None
    ) -> None:
        """learning.close_trade: record the realized R/R (and counterfactuals) of a position."""
        self._one(
            "SELECT learning.close_trade(%s, %s, coalesce(%s::timestamptz, now()), %s)",
            (position_id, rr, closed_at, Jsonb(details if details is not None else {})),
        )

    def build_scope(
        self,
        token: str,
        timeframe: str,
        market_family: str,
        a_mode: str,
        e_mode: str,
        as_of: datetime | None = None,
    ) -> dict:
        """learning.build_scope: the 10-dimension PM scope of an action at as_of."""
        return self._one(
            "SELECT learning.build_scope(%s, %s, %s, %s, %s, coalesce(%s::timestamptz, now()))",
            (token, timeframe, market_family, a_mode, e_mode, as_of),
        )

    def regime_context(self, as_of: datetime | None = None) -> dict:
        """learning.regime_context: phases and bucket ranking in force at as_of."""
        return self._one("SELECT learning.regime_context(coalesce(%s::timestamptz, now()))", (as_of,))

    def status(self) -> dict:
        """What is installed (schema, extensions, migrations) and row counts of the main tables."""
        cur = self.conn.execute(
            "SELECT extname, extversion FROM pg_extension"
            " WHERE extname IN ('pg_cron', 'plpython3u', 'pgtap') ORDER BY 1"
        )
        extensions = dict(cur.fetchall())
        has_schema = self._one("SELECT to_regnamespace('learning') IS NOT NULL", ())
        counts = {}
        if has_schema:
            union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM learning.{t}" for t in STATUS_TABLES)
            counts = dict(self.conn.execute(union).fetchall())
        migrations = []
        if self._one("SELECT to_regclass('public._yoyo_migration') IS NOT NULL", ()):
            migrations = [r[0] for r in self.conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1")]
        return {
            "server_version": self._one("SHOW server_version", ()),
            "schema_installed": bool(has_schema),
            "migrations": migrations,
            "extensions": extensions,
            "counts": counts,
        }

"""Client(dsn): one method per public SQL function of the learning schema."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .errors import InvalidValue, translate

# The domains the database checks at the door (docs/api.md, "Domains"); the client checks the cheap ones before
# sending, with the same SQLSTATE (22023, pglearn.InvalidValue) and a field-naming message.
PATTERN_KEY_RE = re.compile(r"(pm|dm)(\.[A-Za-z0-9_-]+)+")
TEXT_MAX = 200


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > TEXT_MAX or "\x00" in value:
        raise InvalidValue(f"{field} must be a non-empty string of at most {TEXT_MAX} characters without NUL",
                           hint="Use the PM's identifiers as logged.")


def _check_pattern_key(value: object) -> None:
    if not isinstance(value, str) or len(value) > TEXT_MAX or not PATTERN_KEY_RE.fullmatch(value):
        shown = repr(value[:60]) if isinstance(value, str) else repr(value)
        raise InvalidValue(f"pattern_key {shown} is malformed",
                           hint="pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters.")


def _check_finite(field: str, value: object) -> None:
    """JSON has no NaN or Infinity: a non-finite float anywhere in a document is refused here, naming its path."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"{field} must be a finite number, got {value}", hint="JSON numbers are finite.")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(f"{field}.{key}", item)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_finite(f"{field}[{i}]", item)


def _normalise_scope(scope: object) -> object:
    """A Python float with an integral value (1.0) for a scope dimension is sent as the integer (1), as the
    database stores it; anything else goes as given for the database to judge."""
    if not isinstance(scope, dict):
        return scope
    _check_finite("scope", scope)
    return {k: int(v) if isinstance(v, float) and v.is_integer() and abs(v) <= 1_000_000 else v for k, v in scope.items()}

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


@dataclass(frozen=True)
class Resolution:
    """The result of learning.resolve_overrides: adjusted levers and controls, what applied, and from which generation."""

    levers: dict
    controls: dict
    strength: dict | None
    execution: dict | None
    generation: int | None
    telemetry: str
    mode: str = "apply"  # 'shadow': nothing applied; `shadow` holds what would have (docs/api.md, "Shadow mode")
    shadow: dict | None = None

    @property
    def applied(self) -> bool:
        return self.strength is not None or self.execution is not None

    @classmethod
    def from_json(cls, doc: dict) -> "Resolution":
        applied = doc.get("applied") or {}
        return cls(doc["levers"], doc["controls"], applied.get("strength"), applied.get("execution"),
                   doc.get("generation"), doc.get("telemetry", "none"), doc.get("mode", "apply"), doc.get("shadow"))


class Client:
    """Thin wrapper over the learning schema. Errors with a documented SQLSTATE raise pglearn.errors types.

    Client(dsn) opens its own autocommit connection; Client(conn=...) uses the caller's connection
    (and its transaction), which is how tests and batch loaders group calls.
    Client(..., read_dsn=...) sends the decision-time reads (resolve_overrides, explain_override, build_scope,
    regime_context) to that server, typically a hot standby (db/replica.sh), and everything else (writes, the
    jobs) to the primary; an override applied on a read-only server is recorded on the primary
    (record_override_application), so telemetry always lands there (docs/operations.md, "Scaling out").
    """

    def __init__(self, dsn: str | None = None, *, conn: psycopg.Connection | None = None, read_dsn: str | None = None):
        if (dsn is None) == (conn is None):
            raise ValueError("pass exactly one of dsn or conn")
        self._owned = conn is None
        self.conn = conn if conn is not None else psycopg.connect(dsn, autocommit=True)
        self.read_conn = psycopg.connect(read_dsn, autocommit=True) if read_dsn is not None else self.conn

    def close(self) -> None:
        if self.read_conn is not self.conn:
            self.read_conn.close()
        if self._owned:
            self.conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, sql: str, params: tuple, *, read: bool = False) -> Any:
        try:
            row = (self.read_conn if read else self.conn).execute(sql, params).fetchone()
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
        _check_text("position_id", position_id)
        _check_pattern_key(pattern_key)
        scope = _normalise_scope(scope)
        _check_finite("controls", controls)
        return self._one(
            "SELECT learning.log_action(%s, %s, %s, %s, %s, coalesce(%s::timestamptz, now()))",
            (position_id, pattern_key, action_type, Jsonb(scope), Jsonb(controls), ts),
        )

    def close_trade(
        self, position_id: str, rr: float, closed_at: datetime | None = None, details: dict | None = None
    ) -> None:
        """learning.close_trade: record the realized R/R (and counterfactuals) of a position."""
        _check_text("position_id", position_id)
        if details is not None:
            _check_finite("details", details)
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
            (token, timeframe, market_family, a_mode, e_mode, as_of), read=True,
        )

    def regime_context(self, as_of: datetime | None = None) -> dict:
        """learning.regime_context: phases and bucket ranking in force at as_of."""
        return self._one("SELECT learning.regime_context(coalesce(%s::timestamptz, now()))", (as_of,), read=True)

    def resolve_overrides(
        self, pattern_key: str, action_category: str, scope: dict, base_levers: dict, plan_controls: dict | None = None
    ) -> Resolution:
        """resolve_overrides: the most specific matching override applied to base levers and plan controls."""
        _check_pattern_key(pattern_key)
        scope = _normalise_scope(scope)
        _check_finite("base_levers", base_levers)
        _check_finite("plan_controls", plan_controls)
        doc = self._one(
            "SELECT learning.resolve_overrides(%s, %s, %s, %s, %s)",
            (pattern_key, action_category, Jsonb(scope), Jsonb(base_levers), Jsonb(plan_controls or {})), read=True,
        )
        if doc.get("telemetry") == "read_only" and self.read_conn is not self.conn and (doc.get("applied") or {}).get("strength"):
            # answered by a standby: the application is recorded on the primary
            self._one("SELECT learning.record_override_application(%s, %s, %s, %s)",
                      (pattern_key, action_category, Jsonb(scope), Jsonb(doc)))
            doc = {**doc, "telemetry": "forwarded"}
        return Resolution.from_json(doc)

    def run_learning_cycle(self, as_of: datetime | None = None) -> dict:
        """learning.run_learning_cycle: the eight jobs of learning.job_registry in stage order as of a time,
        aggregate_pattern_scope_stats -> learn_regime_weights -> cluster_latent_factors -> build_lessons
        -> estimate_half_lives -> materialize_overrides -> evaluate_alerts -> fold_in_closes; one cycle at a time, stopping at the first failed stage."""
        return self._one("SELECT learning.run_learning_cycle(coalesce(%s::timestamptz, now()))", (as_of,))

    def explain_override(self, pattern_key: str, action_category: str, scope: dict) -> dict:
        """learning.explain_override: which override would apply to this scope, and why."""
        _check_pattern_key(pattern_key)
        scope = _normalise_scope(scope)
        return self._one("SELECT learning.explain_override(%s, %s, %s)", (pattern_key, action_category, Jsonb(scope)),
                         read=True)

    def score_overrides(self, generation: int, window_from: datetime, window_to: datetime) -> int:
        """learning.score_overrides: score a generation's overrides on the trades closed in (from, to]."""
        return self._one("SELECT learning.score_overrides(%s, %s, %s)", (generation, window_from, window_to))

    def start_replay(self, replay_from: datetime, replay_to: datetime, step: timedelta) -> int:
        """learning.start_replay: open a walk-forward replay run, return its id."""
        return self._one("SELECT learning.start_replay(%s, %s, %s)", (replay_from, replay_to, step))

    def run_replay_step(self, run_id: int, as_of: datetime) -> dict:
        """learning.run_replay_step: score the previous generation, run the cycle as of as_of, snapshot lessons."""
        return self._one("SELECT learning.run_replay_step(%s, %s)", (run_id, as_of))

    def finish_replay(self, run_id: int, error: str | None = None) -> None:
        """learning.finish_replay: close a replay run as done (or failed with its error)."""
        self._one("SELECT learning.finish_replay(%s, %s)", (run_id, error))

    def health(self) -> list[tuple[str, bool, str]]:
        """learning.v_health: one (check, ok, detail) row per roadmap section-7 criterion."""
        return self.conn.execute("SELECT check_name, ok, detail FROM learning.v_health").fetchall()

    def alerts(self, include_resolved: bool = False) -> list[dict]:
        """learning.v_alerts (issue 15): the open alerts, most severe first (and the resolved ones after them when
        include_resolved), each {"id", "kind", "subject", "severity", "open", "detail", "first_seen", "last_seen",
        "resolved_at", "data"}."""
        cur = self.conn.execute(
            "SELECT id, kind, subject, severity, open, detail, first_seen, last_seen, resolved_at, data FROM learning.v_alerts"
            " WHERE open OR %s", (include_resolved,))
        names = [d.name for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def export_config(self) -> dict:
        """The materialized override documents in the roadmap 1.5 shape."""
        rows = self.conn.execute(
            "SELECT config_key, config FROM learning.learning_configs"
            " WHERE config_key IN ('pattern_strength_overrides', 'pattern_overrides')"
        ).fetchall()
        return dict(rows)

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

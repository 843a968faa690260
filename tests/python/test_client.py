"""The thin client: round trip through the logging API and the typed error mapping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import pglearn
from conftest import SEED_CONTROLS, SEED_SCOPE

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)


def test_log_and_close_round_trip(client, conn):
    first = client.log_action("p1", "pm.uptrend.S1.buy_flag", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
    second = client.log_action("p1", "pm.uptrend.S1.buy_flag", "trim", SEED_SCOPE, SEED_CONTROLS, ts=T0 + timedelta(hours=5))
    assert isinstance(first, int) and second > first
    rows = conn.execute(
        "SELECT action_type, action_category, scope FROM learning.action_log WHERE position_id = 'p1' ORDER BY id"
    ).fetchall()
    assert rows == [("E1", "entry", SEED_SCOPE), ("trim", "trim", SEED_SCOPE)]

    client.close_trade("p1", 1.75, closed_at=T0 + timedelta(hours=10), details={"cf_entry_delay_bars": 2})
    rr, hold, details = conn.execute(
        "SELECT rr, hold_hours, details FROM learning.completed_trades WHERE position_id = 'p1'"
    ).fetchone()
    assert (rr, hold, details) == (1.75, 10.0, {"cf_entry_delay_bars": 2})


def test_build_scope_and_regime_context(client, conn):
    conn.execute("INSERT INTO learning.phase_state VALUES (%s, 'Recover', 'Dip', 'Good')", (T0,))
    conn.execute(
        "INSERT INTO learning.phase_state_bucket (ts, bucket, phase, rank_position, population) VALUES"
        " (%s, 'micro', 'Good', 1, 10), (%s, 'nano', 'Dip', 2, 20)",
        (T0, T0),
    )
    conn.execute("INSERT INTO learning.token_cap_bucket VALUES ('TOK', %s, 'micro')", (T0,))
    assert client.regime_context(T0 + timedelta(days=1))["bucket_rank"] == ["micro", "nano"]
    scope = client.build_scope("TOK", "1h", "lowcaps", "normal", "aggressive", as_of=T0 + timedelta(days=1))
    assert scope == SEED_SCOPE
    assert client.log_action("p9", "pm.a", "E1", scope, SEED_CONTROLS) > 0


@pytest.mark.parametrize(
    "call, exc, sqlstate",
    [
        (lambda c: c.log_action("p", "pm.a", "E1", {**SEED_SCOPE, "macro_phase": "Moon"}, SEED_CONTROLS), pglearn.InvalidValue, "22023"),
        (lambda c: c.log_action("p", "bad key", "E1", SEED_SCOPE, SEED_CONTROLS), pglearn.InvalidValue, "22023"),
        (lambda c: c.log_action("p", "pm.a", "E1", {"macro_phase": "Dip"}, SEED_CONTROLS), pglearn.UnknownScopeDimension, "LR001"),
        (lambda c: c.log_action("p", "pm.a", "hold", SEED_SCOPE, SEED_CONTROLS), pglearn.UnknownActionType, "LR002"),
        (lambda c: c.close_trade("nobody", 1.0), pglearn.UnknownPosition, "LR003"),
        (lambda c: c.close_trade("p1", float("nan")), pglearn.InvalidValue, "22023"),
        (lambda c: c.close_trade("p1", float("inf")), pglearn.InvalidValue, "22023"),
        (lambda c: c.build_scope("TOK", "1h", "lowcaps", "normal", "normal"), pglearn.NoRegimeData, "LR004"),
    ],
)
def test_error_mapping(client, conn, call, exc, sqlstate):
    client.log_action("p1", "pm.a", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
    conn.execute("SAVEPOINT s")
    with pytest.raises(exc) as info:
        call(client)
    conn.execute("ROLLBACK TO SAVEPOINT s")
    assert info.value.sqlstate == sqlstate
    assert isinstance(info.value, pglearn.PglearnError)
    assert info.value.hint, "every documented error carries a HINT"
    assert conn.execute("SELECT count(*) FROM learning.action_log").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM learning.completed_trades").fetchone()[0] == 0


def test_duplicate_close_is_typed(client, conn):
    client.log_action("p1", "pm.a", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
    client.close_trade("p1", 1.0, closed_at=T0 + timedelta(hours=1))
    with pytest.raises(pglearn.DuplicateTrade) as info:
        client.close_trade("p1", 2.0, closed_at=T0 + timedelta(hours=2))
    assert "p1" in str(info.value)


def test_client_requires_exactly_one_target():
    with pytest.raises(ValueError):
        pglearn.Client()

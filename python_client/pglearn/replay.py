"""Walk-forward replay: the learning cycle as of each step, seeing only trades closed by then (docs/demo.md).

replay(client, start, end, step) opens a learning.replay_run, calls learning.run_replay_step once per step
(each step commits on its own: a long replay can be watched from psql) and closes the run. Each step first
scores the previous step's overrides on the trades closed since (out of sample), then learns.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Callable

from .client import Client

_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_step(text: str) -> timedelta:
    """'1w', '3d', '12h', '30m' -> timedelta; ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([wdhm])\s*", text or "")
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"step {text!r}: expected a positive count and a unit w, d, h or m (e.g. 1w)")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def step_times(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """start, start + step, ... up to end; end itself is always the last step (it replaces a grid point
    closer than half a step before it)."""
    times = []
    t = start
    while t < end:
        times.append(t)
        t += step
    if times and end - times[-1] < step / 2:
        times.pop()
    times.append(end)
    return times


def history_span(client: Client) -> tuple[datetime, datetime]:
    """First and last closed_at of the loaded history."""
    row = client.conn.execute("SELECT min(closed_at), max(closed_at) FROM learning.completed_trades").fetchone()
    if row[0] is None:
        raise ValueError("no closed trades to replay: load a history first (pglearn generate or pglearn import)")
    return row[0], row[1]


def replay(client: Client, start: datetime | None, end: datetime | None, step: timedelta,
           on_step: Callable[[int, int, dict], None] | None = None) -> dict:
    """Run the walk-forward replay; returns {"run_id", "steps", "seconds", "failed_steps"}."""
    first, last = history_span(client)
    start = start or first + step
    end = end or last
    run_id = client.start_replay(start, end, step)
    times = step_times(start, end, step)
    t0 = time.perf_counter()
    failed = 0
    try:
        for i, as_of in enumerate(times, start=1):
            result = client.run_replay_step(run_id, as_of)
            failed += 0 if result["ok"] else 1
            if on_step:
                on_step(i, len(times), result)
    except BaseException as exc:
        client.finish_replay(run_id, f"{type(exc).__name__}: {exc}")
        raise
    client.finish_replay(run_id)
    return {"run_id": run_id, "steps": len(times), "seconds": round(time.perf_counter() - t0, 2), "failed_steps": failed}

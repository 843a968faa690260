"""Issue 10: false-discovery control. A pure-noise history (the synthetic market with planted=False: the same
patterns and structure, no effect anywhere) must end with no active lesson in at least 19 of 20 seeds.

Small and fast on purpose (the whole test well under 90 s on 2 idle cores): 400 trades, 6 weeks, 8 patterns, a
walk-forward replay with a 2-week step (3 learning epochs). Two fresh databases, one per core, each running
half of the seeds; each seed runs inside a transaction that is rolled back, so the next one starts empty.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest

from pglearn import Client
from pglearn import migrate as mig
from pglearn.replay import replay
from pglearn.synthetic import generate

from conftest import with_dbname

SEEDS = list(range(101, 121))
TRADES, WEEKS, PATTERNS, STEP = 400, 6, 8, timedelta(weeks=2)
WORKERS = 2


@pytest.fixture()
def noise_dsns(dsn):
    """WORKERS new, migrated databases on the test server, dropped afterwards."""
    names = [f"pglearn_scratch_noise_{uuid.uuid4().hex[:8]}" for _ in range(WORKERS)]
    with psycopg.connect(dsn, autocommit=True) as admin:
        for name in names:
            admin.execute(f"CREATE DATABASE {name}")
    try:
        dsns = [with_dbname(dsn, name) for name in names]
        for d in dsns:
            mig.migrate(d)
        yield dsns
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run_seeds(dsn: str, seeds: list[int]) -> dict[int, tuple[int, float]]:
    """Per seed: (active lessons at the end of the replay, seconds)."""
    out = {}
    with psycopg.connect(dsn) as conn:
        client = Client(conn=conn)
        for seed in seeds:
            t0 = time.perf_counter()
            with conn.transaction(force_rollback=True):
                info = generate(conn, trades=TRADES, weeks=WEEKS, patterns=PATTERNS, seed=seed, planted=False)
                assert info["planted"] == {}
                assert conn.execute("SELECT planted FROM learning.synthetic_run").fetchone()[0] == []
                summary = replay(client, None, None, STEP)
                assert summary["failed_steps"] == 0 and summary["steps"] == 3
                active = conn.execute("SELECT count(*) FROM learning.learning_lessons WHERE status = 'active'").fetchone()[0]
            out[seed] = (active, round(time.perf_counter() - t0, 1))
    return out


def test_pure_noise_ends_with_no_active_lesson(noise_dsns):
    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        parts = list(pool.map(_run_seeds, noise_dsns, [SEEDS[i::WORKERS] for i in range(WORKERS)]))
    per_seed = {seed: v for part in parts for seed, v in part.items()}
    active = {seed: per_seed[seed][0] for seed in SEEDS}
    clean = sum(1 for n in active.values() if n == 0)
    print(f"\npure noise: {clean} of {len(SEEDS)} seeds end with no active lesson; active lessons per seed {active};"
          f" seconds per seed {[per_seed[s][1] for s in SEEDS]}; {time.perf_counter() - t0:.1f} s in all")
    assert clean >= 19, active

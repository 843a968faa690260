"""Issue 10: false-discovery control. A pure-noise history (the synthetic market with planted=False: the same
patterns and structure, no effect anywhere) must end with no active lesson in at least 19 of 20 seeds.

Small and fast on purpose (the whole test < 90 s on 2 cores): 800 trades, 6 weeks, 8 patterns, a walk-forward
replay with a 2-week step, each seed in a savepoint of the test transaction that is rolled back afterwards.
"""

from __future__ import annotations

import time
from datetime import timedelta

from pglearn.replay import replay
from pglearn.synthetic import generate

SEEDS = range(101, 121)
TRADES, WEEKS, PATTERNS, STEP = 800, 6, 8, timedelta(weeks=2)


def test_pure_noise_ends_with_no_active_lesson(client, conn):
    t0 = time.perf_counter()
    active_per_seed = {}
    for seed in SEEDS:
        with conn.transaction(force_rollback=True):
            info = generate(conn, trades=TRADES, weeks=WEEKS, patterns=PATTERNS, seed=seed, planted=False)
            assert info["planted"] == {}
            assert conn.execute("SELECT planted FROM learning.synthetic_run").fetchone()[0] == []
            summary = replay(client, None, None, STEP)
            assert summary["failed_steps"] == 0
            active_per_seed[seed] = conn.execute(
                "SELECT count(*) FROM learning.learning_lessons WHERE status = 'active'").fetchone()[0]
    clean = sum(1 for n in active_per_seed.values() if n == 0)
    print(f"\npure noise: {clean} of {len(SEEDS)} seeds end with no active lesson;"
          f" active lessons per seed {active_per_seed}; {time.perf_counter() - t0:.1f} s")
    assert clean >= 19, active_per_seed

/*
 * scaleout.run_learning_cycle(as_of timestamptz DEFAULT now()) -> jsonb   [router]
 *
 * Issue 16: one learning cycle of the sharded deployment, in three steps (docs/operations.md, "Scaling out"):
 *  1. gather, incrementally: the router's learning schema receives the facts it does not hold yet, as one node
 *     would have received them from the PM: the actions above its high-water mark for each shard
 *     (scaleout.shard_actions; action ids are unique across shards, scaleout.shard_layout, and are kept), then the
 *     closed trades it does not hold (scaleout.shard_trades, one row per position: a trade closed on several shards
 *     carries the same values on each; a corrected outcome is updated). Inserting them runs the router's own
 *     triggers: validation, first_action_at from ALL the position's actions (as on one node), the fold-in queue.
 *     An action of a position the router already holds as closed is left out (one node would have refused it).
 *  2. learn: learning.run_learning_cycle(as_of) on the router, over exactly the facts one node would hold. Every
 *     cross-pattern part of an epoch is therefore computed over all shards: the category baseline (median of the
 *     pattern means), the co-firing of patterns in trades (latent factors), the Benjamini-Yekutieli family of all
 *     the epoch's tests, the overlap rule between lessons of different patterns sharing trades, and the identities
 *     (stats ids, lesson ids, generation numbers) come from one sequence each.
 *  3. hand off: each shard receives the learned tables of scaleout.pushed_tables() (its own patterns' rows, and
 *     the rows spanning patterns, among them the category baselines over all shards, learning.pinned_baseline),
 *     replaced in one transaction per shard (scaleout.shard_receive), so the shard's resolve_overrides,
 *     explain_override and finished stats (v_pattern_scope_stats) answer what one node would.
 * A cycle that was skipped (another one running) hands nothing off. Returns the local cycle's summary with
 * "gathered" {"actions", "trades", "corrected_trades"} (new rows this cycle), "handed_off" (rows per shard) and "ms" {"gather", "learn", "hand_off"}.
 * Errors: 22023 when no shard is configured (scaleout.set_shards).
 */
CREATE OR REPLACE FUNCTION scaleout.run_learning_cycle(as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_shards constant integer := scaleout.shard_count();
    v_after bigint[];
    v_actions integer;
    v_trades integer;
    v_corrected integer;
    v_cycle jsonb;
    v_doc jsonb;
    v_rows jsonb;
    v_handed jsonb := '[]';
    v_t0 timestamptz := clock_timestamp();
    v_t1 timestamptz;
    v_t2 timestamptz;
    v_tab record;
BEGIN
    IF v_shards = 0 THEN
        RAISE EXCEPTION 'no shard is configured' USING ERRCODE = '22023', HINT = 'Call scaleout.set_shards first.';
    END IF;
    -- 1. gather: high-water marks (shard i numbers its actions i + 1 + k * shards), new actions, new and corrected trades
    SELECT array_agg(coalesce((SELECT max(a.id) FROM learning.action_log AS a WHERE a.id % v_shards = (g.i + 1) % v_shards), 0)
                     ORDER BY g.i)
    INTO v_after
    FROM generate_series(0, v_shards - 1) AS g (i);
    INSERT INTO learning.action_log (id, position_id, ts, pattern_key, action_type, scope, controls) OVERRIDING SYSTEM VALUE
    SELECT s.id, s.position_id, s.ts, s.pattern_key, s.action_type, s.scope, s.controls
    FROM scaleout.shard_actions(v_after) AS s
    WHERE NOT EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = s.position_id)
    ORDER BY s.id;
    GET DIAGNOSTICS v_actions = ROW_COUNT;
    CREATE TEMP TABLE _so_trades ON COMMIT DROP AS
    SELECT DISTINCT ON (s.position_id) s.position_id, s.closed_at, s.rr, s.details
    FROM scaleout.shard_trades() AS s
    ORDER BY s.position_id, s.closed_at, s.rr;
    INSERT INTO learning.completed_trades (position_id, closed_at, rr, details)
    SELECT s.position_id, s.closed_at, s.rr, s.details
    FROM _so_trades AS s
    WHERE NOT EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = s.position_id)
    ORDER BY s.closed_at, s.position_id;
    GET DIAGNOSTICS v_trades = ROW_COUNT;
    UPDATE learning.completed_trades AS t
    SET closed_at = s.closed_at, rr = s.rr, details = s.details
    FROM _so_trades AS s
    WHERE s.position_id = t.position_id AND (s.closed_at, s.rr, s.details) IS DISTINCT FROM (t.closed_at, t.rr, t.details);
    GET DIAGNOSTICS v_corrected = ROW_COUNT;
    DROP TABLE _so_trades;
    v_t1 := clock_timestamp();
    -- 2. learn
    v_cycle := learning.run_learning_cycle(run_learning_cycle.as_of);
    v_t2 := clock_timestamp();
    -- 3. hand off
    IF NOT coalesce((v_cycle ->> 'skipped')::boolean, false) THEN
        FOR i IN 0 .. v_shards - 1 LOOP
            v_doc := '{}';
            FOR v_tab IN SELECT p.table_name, p.by_pattern, p.router_source FROM scaleout.pushed_tables() AS p ORDER BY p.ord LOOP
                EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x)), ''[]'') FROM %s AS x %s',
                               coalesce(v_tab.router_source, format('learning.%I', v_tab.table_name)),
                               CASE WHEN v_tab.by_pattern THEN 'WHERE scaleout.shard_of(x.pattern_key, $2) = $1' ELSE '' END)
                INTO v_rows USING i, v_shards, run_learning_cycle.as_of;
                v_doc := v_doc || jsonb_build_object(v_tab.table_name, v_rows);
            END LOOP;
            v_handed := v_handed || to_jsonb(scaleout.shard_receive(i, v_doc));
        END LOOP;
    END IF;
    RETURN v_cycle || jsonb_build_object(
        'gathered', jsonb_build_object('actions', v_actions, 'trades', v_trades, 'corrected_trades', v_corrected),
        'handed_off', v_handed,
        'ms', jsonb_build_object('gather', round((extract(EPOCH FROM v_t1 - v_t0) * 1000)::numeric, 1),
                                 'learn', round((extract(EPOCH FROM v_t2 - v_t1) * 1000)::numeric, 1),
                                 'hand_off', round((extract(EPOCH FROM clock_timestamp() - v_t2) * 1000)::numeric, 1)));
END;
$$;
COMMENT ON FUNCTION scaleout.run_learning_cycle(timestamptz) IS
'Issue 16 (router): gathers every shard''s facts, runs learning.run_learning_cycle over them, hands each shard its learned rows.';
REVOKE ALL ON FUNCTION scaleout.run_learning_cycle(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.run_learning_cycle(timestamptz) TO pglearn_admin;

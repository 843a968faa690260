/*
 * scaleout.run_learning_cycle(as_of timestamptz DEFAULT now()) -> jsonb   [router]
 *
 * Issue 16: one learning cycle of the sharded deployment (docs/operations.md, "Scaling out"). The shards learn their
 * own patterns; the router computes what spans patterns from what they hand up, never holding their facts. Rounds
 * (each a PL/Proxy RUN ON ALL, each shard in its own transaction; db/scaleout/shard/shard_*.sql):
 *  1. summaries (scaleout.shard_summary): per-pattern means -> the category baselines (learning._baseline_median, one
 *     node's rule, over all shards' patterns); first and last close -> the cube frame; the (position, pattern) pairs
 *     -> the latent factors, clustered once on the router (learning._cluster_latent_factors); each position's first
 *     action per shard -> the first action of positions spanning shards; the out-of-sample evidence.
 *  2. pins and per-pattern stages (scaleout.shard_tests): each shard pins the baselines, the frame and the first
 *     actions, rebuilds its cube, learns its regime weights and computes the epoch's tests (p-values).
 *  3. the Benjamini-Yekutieli layers over ALL tests (router, learning._lessons_by), then per-pattern choice on each
 *     shard with the q-values and every pattern's k = 0 moments (scaleout.shard_choose, learning._lessons_choose),
 *     which hands up the tests of its cells with a chosen test and their facts.
 *  4. router: the overlap rule over the chosen cells of all shards and their facts (learning._lessons_overlap), the
 *     epoch (learning._lessons_epoch), the lesson upsert, stale/retired and the out-of-sample guard (one sequence of
 *     epoch numbers and lesson ids); then each shard records its candidates with the router's overlap outcome and
 *     computes its lessons' trailing-window edges (scaleout.shard_record), which the router writes; the half-lives,
 *     the override generation (one sequence), the alerts.
 *  5. hand-off (scaleout.shard_receive): each shard receives the rows of scaleout.pushed_tables() (its patterns'
 *     lessons and overrides; the generation, latent factors), then folds in the closes after as_of
 *     (scaleout.shard_fold_in).
 * Returns {"as_of", "jobs" (one node's 8 jobs, rows summed over shards), "ok", "skipped", "handed_off" (rows per
 * shard), "kb" (JSON sent per round: summaries_up, tests_up, choose_up, record_up, hand_off_down), "ms" {"summaries" (round 1
 * and the router's baselines and factors), "shards" (round 2 and the BY layers), "router" (round 3, overlap,
 * lessons, edges, half-lives, overrides, alerts), "hand_off" (with the fold-in)}}. A cycle while another runs is skipped.
 * Errors: 22023 when no shard is configured (scaleout.set_shards); a shard's error aborts the cycle (its round's
 * transactions on the other shards are committed: re-run the cycle).
 */
CREATE OR REPLACE FUNCTION scaleout.run_learning_cycle(as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_shards constant integer := scaleout.shard_count();
    v_t0 timestamptz := clock_timestamp();
    v_t1 timestamptz;
    v_t2 timestamptz;
    v_t3 timestamptz;
    v_pins jsonb;
    v_first_close timestamptz;
    v_lessons_due boolean;
    v_factors integer;
    v_layers integer;
    v_epoch integer;
    v_lessons integer := 0;
    v_half integer;
    v_mat integer;
    v_alerts integer;
    v_fold integer;
    v_jobs jsonb;
    v_doc jsonb;
    v_rows jsonb;
    v_handed jsonb := '[]';
    v_bytes bigint := 0;
    v_tab record;
BEGIN
    IF v_shards = 0 THEN
        RAISE EXCEPTION 'no shard is configured' USING ERRCODE = '22023', HINT = 'Call scaleout.set_shards first.';
    END IF;
    PERFORM learning._check_as_of(run_learning_cycle.as_of);
    IF NOT pg_try_advisory_xact_lock(hashtext('pglearn'), hashtext('scaleout_cycle')) THEN
        RETURN jsonb_build_object('as_of', run_learning_cycle.as_of, 'jobs', '[]'::jsonb, 'ok', false, 'skipped', true,
                                  'reason', 'another learning cycle is running');
    END IF;
    DROP TABLE IF EXISTS _so_sum, _so_tests, _so_choose, _so_record;
    -- 1. summaries -> baselines, frame, first actions, latent factors
    CREATE TEMP TABLE _so_sum ON COMMIT DROP AS SELECT s.doc FROM scaleout.shard_summary(run_learning_cycle.as_of) AS s (doc);
    SELECT min((s.doc ->> 'first_close')::timestamptz) INTO v_first_close FROM _so_sum AS s;
    v_lessons_due := NOT EXISTS (SELECT 1 FROM learning.lesson_epoch AS e WHERE e.as_of >= run_learning_cycle.as_of);
    SELECT jsonb_build_object(
        'baselines', (SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]')
                      FROM (SELECT array_agg(p.action_category) AS c, array_agg(p.m) AS m, array_agg(p.n) AS n
                            FROM _so_sum AS s
                            CROSS JOIN LATERAL jsonb_to_recordset(s.doc -> 'patterns') AS p (pattern_key text, action_category text,
                                                                                             m float8, n bigint)) AS a
                      CROSS JOIN LATERAL learning._baseline_median(a.c, a.m, a.n) AS b),
        'first_fact', (SELECT min((s.doc ->> 'first_fact')::timestamptz) FROM _so_sum AS s),
        'last_fact', (SELECT max((s.doc ->> 'last_fact')::timestamptz) FROM _so_sum AS s),
        'first_actions', (SELECT coalesce(jsonb_agg(jsonb_build_object('position_id', f.position_id, 'first_action_at', f.first_at)), '[]')
                          FROM (SELECT f.position_id, min(f.first_action_at) AS first_at
                                FROM _so_sum AS s
                                CROSS JOIN LATERAL jsonb_to_recordset(s.doc -> 'first_actions') AS f (position_id text, first_action_at timestamptz)
                                GROUP BY f.position_id
                                HAVING count(*) > 1) AS f),
        'lessons', v_lessons_due)
    INTO v_pins;
    -- the router answers category_baselines as every shard does (it holds no cube)
    DELETE FROM learning.pinned_baseline;
    INSERT INTO learning.pinned_baseline (action_category, baseline, n)
    SELECT b.action_category, b.baseline, b.n FROM jsonb_to_recordset(v_pins -> 'baselines') AS b (action_category text, baseline float8, n bigint);
    v_factors := learning._cluster_latent_factors(
        run_learning_cycle.as_of,
        ARRAY(SELECT jsonb_array_elements_text(s.doc -> 'trades') FROM _so_sum AS s),
        ARRAY(SELECT u.p FROM _so_sum AS s, jsonb_array_elements_text(s.doc -> 'fire_position') WITH ORDINALITY AS u (p, i)),
        ARRAY(SELECT u.p FROM _so_sum AS s, jsonb_array_elements_text(s.doc -> 'fire_pattern') WITH ORDINALITY AS u (p, i)));
    v_t1 := clock_timestamp();
    -- 2. pins, each shard's cube, regime weights and tests
    CREATE TEMP TABLE _so_tests ON COMMIT DROP AS SELECT s.doc FROM scaleout.shard_tests(run_learning_cycle.as_of, v_pins) AS s (doc);
    IF v_lessons_due THEN
        -- 3. Benjamini-Yekutieli over all tests (router), the per-pattern choice (shards)
        SELECT coalesce(max(e.epoch_no), 0) + 1 INTO v_epoch FROM learning.lesson_epoch AS e;
        PERFORM learning._lessons_tests(run_learning_cycle.as_of, false);
        INSERT INTO _lc_test (stats_id, kind, k, p)
        SELECT x.stats_id, x.kind, x.k, x.p
        FROM _so_tests AS s CROSS JOIN LATERAL jsonb_to_recordset(s.doc -> 'tests') AS x (stats_id bigint, kind text, k integer, p float8);
        ANALYZE _lc_test;
        v_layers := learning._lessons_by();
        v_t2 := clock_timestamp();
        CREATE TEMP TABLE _so_choose ON COMMIT DROP AS
        SELECT s.doc FROM scaleout.shard_choose(run_learning_cycle.as_of, jsonb_build_object(
            'q', (SELECT coalesce(jsonb_agg(jsonb_build_object('stats_id', x.stats_id, 'kind', x.kind, 'q', x.q, 'sig', x.sig)), '[]')
                  FROM _lc_test AS x WHERE x.q IS NOT NULL),
            'layers', (SELECT coalesce(jsonb_agg(to_jsonb(y)), '[]') FROM _lc_layer AS y),
            'k0', (SELECT coalesce(jsonb_agg(m.m), '[]') FROM _so_tests AS s CROSS JOIN LATERAL jsonb_array_elements(s.doc -> 'k0') AS m (m))
        )) AS s (doc);
        -- 4. the overlap rule over all shards' chosen cells, the epoch, lessons, lifecycle (router)
        DELETE FROM _lc_test AS x
        USING _so_choose AS s CROSS JOIN LATERAL jsonb_to_recordset(s.doc -> 'tests') AS r (stats_id bigint, kind text)
        WHERE r.stats_id = x.stats_id AND r.kind = x.kind;
        INSERT INTO _lc_test
        SELECT x.* FROM _so_choose AS s CROSS JOIN LATERAL jsonb_populate_recordset(NULL::_lc_test, s.doc -> 'tests') AS x;
        ANALYZE _lc_test;
        PERFORM learning._lessons_facts(run_learning_cycle.as_of, false);
        INSERT INTO _lc_fact
        SELECT f.* FROM _so_choose AS s CROSS JOIN LATERAL jsonb_populate_recordset(NULL::_lc_fact, s.doc -> 'facts') AS f;
        ANALYZE _lc_fact;
        PERFORM learning._lessons_overlap();
        PERFORM learning._lessons_epoch(v_epoch, run_learning_cycle.as_of, v_layers);
        v_lessons := learning._lessons_upsert(v_epoch, run_learning_cycle.as_of);
        PERFORM learning._lessons_lifecycle(v_epoch, run_learning_cycle.as_of,
            (SELECT coalesce(jsonb_agg(o.o), '[]') FROM _so_sum AS s CROSS JOIN LATERAL jsonb_array_elements(s.doc -> 'oos') AS o (o)));
        -- round 4: each shard records its candidates (with the overlap outcome) and computes its lessons' window edges
        CREATE TEMP TABLE _so_record ON COMMIT DROP AS
        SELECT s.doc FROM scaleout.shard_record(run_learning_cycle.as_of, jsonb_build_object(
            'epoch', (SELECT to_jsonb(e) FROM learning.lesson_epoch AS e WHERE e.epoch_no = v_epoch),
            'layers', (SELECT coalesce(jsonb_agg(to_jsonb(y)), '[]') FROM _lc_layer AS y),
            'tests', (SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') FROM _lc_test AS x WHERE x.pattern_key IS NOT NULL),
            'first_close', v_first_close,
            'lessons', learning._window_lessons()
        )) AS s (doc);
        INSERT INTO learning.learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n, window_days)
        SELECT w.pattern_key, w.action_category, w.scope_signature, w.edge_raw, run_learning_cycle.as_of, w.n,
               (learning.pm_config() #>> '{tunables,edge_window_days}')::int
        FROM _so_record AS s
        CROSS JOIN LATERAL jsonb_to_recordset(s.doc -> 'edges')
            AS w (pattern_key text, action_category text, scope_signature text, edge_raw float8, n integer)
        ORDER BY w.pattern_key, w.action_category, w.scope_signature;
    END IF;
    v_t2 := coalesce(v_t2, clock_timestamp());
    v_half := learning.estimate_half_lives(run_learning_cycle.as_of);
    v_mat := learning.materialize_overrides(run_learning_cycle.as_of);
    v_alerts := learning.evaluate_alerts(run_learning_cycle.as_of);
    v_t3 := clock_timestamp();
    -- 5. hand-off, then each shard's fold-in
    FOR i IN 0 .. v_shards - 1 LOOP
        v_doc := '{}';
        FOR v_tab IN SELECT p.table_name, p.by_pattern FROM scaleout.pushed_tables() AS p ORDER BY p.ord LOOP
            EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x)), ''[]'') FROM learning.%I AS x %s', v_tab.table_name,
                           CASE WHEN v_tab.by_pattern THEN 'WHERE scaleout.shard_of(x.pattern_key, $2) = $1' ELSE '' END)
            INTO v_rows USING i, v_shards;
            v_doc := v_doc || jsonb_build_object(v_tab.table_name, v_rows);
        END LOOP;
        v_bytes := v_bytes + octet_length(v_doc::text);
        v_handed := v_handed || to_jsonb(scaleout.shard_receive(i, v_doc));
    END LOOP;
    SELECT coalesce(sum(f.n), 0)::int INTO v_fold FROM scaleout.shard_fold_in(run_learning_cycle.as_of) AS f (n);
    SELECT jsonb_agg(jsonb_build_object('job', r.job, 'status', 'ok', 'ms', NULL, 'rows', CASE r.job
               WHEN 'aggregate_pattern_scope_stats' THEN (SELECT sum((s.doc #>> '{jobs,aggregate_pattern_scope_stats}')::int) FROM _so_tests AS s)
               WHEN 'learn_regime_weights' THEN (SELECT sum((s.doc #>> '{jobs,learn_regime_weights}')::int) FROM _so_tests AS s)
               WHEN 'cluster_latent_factors' THEN v_factors
               WHEN 'build_lessons' THEN v_lessons
               WHEN 'estimate_half_lives' THEN v_half
               WHEN 'materialize_overrides' THEN v_mat
               WHEN 'evaluate_alerts' THEN v_alerts
               WHEN 'fold_in_closes' THEN v_fold END) ORDER BY r.stage)
    INTO v_jobs
    FROM learning.job_registry AS r;
    RETURN jsonb_build_object('as_of', run_learning_cycle.as_of, 'jobs', v_jobs, 'ok', true, 'skipped', false, 'reason', NULL,
        'handed_off', v_handed,
        -- what crossed between the router and the shards, kB of JSON per round (up: shards -> router)
        'kb', jsonb_build_object(
            'summaries_up', (SELECT round(sum(octet_length(s.doc::text)) / 1024.0, 1) FROM _so_sum AS s),
            'tests_up', (SELECT round(sum(octet_length(s.doc::text)) / 1024.0, 1) FROM _so_tests AS s),
            'choose_up', CASE WHEN v_lessons_due THEN (SELECT round(sum(octet_length(s.doc::text)) / 1024.0, 1) FROM _so_choose AS s) END,
            'record_up', CASE WHEN v_lessons_due THEN (SELECT round(sum(octet_length(s.doc::text)) / 1024.0, 1) FROM _so_record AS s) END,
            'hand_off_down', round(v_bytes / 1024.0, 1)),
        'ms', jsonb_build_object('summaries', round((extract(EPOCH FROM v_t1 - v_t0) * 1000)::numeric, 1),
                                 'shards', round((extract(EPOCH FROM v_t2 - v_t1) * 1000)::numeric, 1),
                                 'router', round((extract(EPOCH FROM v_t3 - v_t2) * 1000)::numeric, 1),
                                 'hand_off', round((extract(EPOCH FROM clock_timestamp() - v_t3) * 1000)::numeric, 1)));
END;
$$;
COMMENT ON FUNCTION scaleout.run_learning_cycle(timestamptz) IS
'Issue 16 (router): the shard-local cycle: cross-pattern inputs from the shards'' summaries, per-pattern stages on the shards, BY/overlap/lessons/overrides on the router, hand-off.';
REVOKE ALL ON FUNCTION scaleout.run_learning_cycle(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION scaleout.run_learning_cycle(timestamptz) TO pglearn_admin;

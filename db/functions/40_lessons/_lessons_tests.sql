/*
 * learning._lessons_tests(p_as_of timestamptz, p_local boolean DEFAULT TRUE) -> integer
 *
 * Private, stage 1 of an epoch (learning.build_lessons, docs/levers.md): the moments of every cube cell and kind
 * (learning.scope_stats(p_as_of)) into the session table _lc_moment, and the tests among them with their p-values
 * into _lc_test (every column the later stages fill, still empty). Per pattern: on a sharded deployment each shard
 * runs it over its own cube (scaleout, docs/operations.md "Scaling out"); p_local = false creates the two tables
 * empty (the router fills them with what the shards hand up). Returns the number of tests.
 */
CREATE OR REPLACE FUNCTION learning._lessons_tests(p_as_of timestamptz, p_local boolean DEFAULT TRUE)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    v_cf_min_n constant int := (t ->> 'cf_min_n')::int;
BEGIN
    DROP TABLE IF EXISTS _lc_moment, _lc_test, _lc_q, _lc_layer, _lc_parent, _lc_desc, _lc_fact, _lc_rem, _lc_shrink, _lc_rival;
    -- 1. moments of every cell and kind, and the tests among them ---------------------------------------
    CREATE TEMP TABLE _lc_moment ON COMMIT DROP AS
    SELECT s.id AS stats_id, x.kind, s.pattern_key, s.action_category, s.scope_mask, s.scope_values, s.scope_values_hash,
           bit_count(s.scope_mask::int::bit(16))::int AS k, x.n, x.mean, greatest(x.var, 0) AS var, x.mu0, x.eligible,
           s.edge_raw AS edge_raw,
           CASE WHEN x.kind = 'rr' THEN s.sum_t END AS st,
           CASE WHEN x.kind = 'rr' THEN s.sum_t2 END AS st2,
           CASE WHEN x.kind = 'rr' THEN s.sum_t_rr END AS sty,
           -- what the lesson upsert reads of the cell (learning._lessons_upsert; on a router it has no cube)
           s.n AS cell_n, s.cf_entry_delay_bars_mean AS delay_mean, s.segments_tested AS seg_t, s.segments_positive AS seg_p
    FROM learning.scope_stats(p_as_of) AS s
    CROSS JOIN LATERAL (
        VALUES ('rr', s.n, s.avg_rr, s.variance, s.rr_baseline, true),
               ('cf', CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_n
                           WHEN s.action_category IN ('trim', 'exit') THEN s.cf_exit_signed_n END,
                      CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_rr_mean
                           ELSE s.cf_exit_signed_mean END,
                      CASE WHEN s.action_category = 'entry' THEN s.cf_entry_gain_var
                           ELSE s.cf_exit_signed_var END,
                      0.0::float,
                      -- counterfactual evidence counts only when most samples carry it (and, for entries, the
                      -- better entry lay at least half a bar later on average)
                      CASE WHEN s.action_category = 'entry'
                           THEN coalesce(s.cf_entry_gain_n, 0) >= greatest(v_cf_min_n, s.n / 2.0)
                                AND coalesce(s.cf_entry_delay_n, 0) >= greatest(v_cf_min_n, s.n / 2.0)
                                AND coalesce(s.cf_entry_delay_bars_mean, 0) >= 0.5
                           ELSE coalesce(s.cf_exit_signed_n, 0) >= greatest(v_cf_min_n, s.n / 2.0) END)
    ) AS x (kind, n, mean, var, mu0, eligible)
    WHERE x.n >= 2 AND x.mean IS NOT NULL AND x.var IS NOT NULL AND x.mu0 IS NOT NULL AND p_local;
    CREATE INDEX ON _lc_moment (pattern_key, action_category, kind, scope_mask, scope_values_hash);
    ANALYZE _lc_moment;

    CREATE TEMP TABLE _lc_test ON COMMIT DROP AS
    SELECT m.*, learning.mean_test_p(m.n, m.mean, m.var, m.mu0) AS p, NULL::float AS q, false AS sig,
           -- filled by the later stages (_lessons_choose, _lessons_overlap)
           NULL::float AS parent_p, NULL::jsonb AS weakest_parent, NULL::boolean AS ss, NULL::integer AS remainder_n,
           NULL::float AS remainder_p, NULL::boolean AS productive, NULL::float AS w, NULL::float AS shrunk,
           NULL::float AS edge_shrunk, false AS chosen, NULL::float AS inc, NULL::jsonb AS explained_by, NULL::integer AS ord
    FROM _lc_moment AS m
    WHERE m.eligible;
    ANALYZE _lc_test;
    RETURN (SELECT count(*)::int FROM _lc_test);
END;
$$;
COMMENT ON FUNCTION learning._lessons_tests(timestamptz, boolean) IS
'Private, epoch stage 1: moments and tests (p-values) of every cube cell into _lc_moment/_lc_test (build_lessons; per pattern).';
REVOKE ALL ON FUNCTION learning._lessons_tests(timestamptz, boolean) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_tests(timestamptz, boolean) TO pglearn_admin;

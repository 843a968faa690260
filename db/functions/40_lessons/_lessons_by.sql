/*
 * learning._lessons_by() -> integer
 *
 * Private, stage 2 of an epoch (learning.build_lessons): layered Benjamini-Yekutieli over ALL the tests of the
 * epoch in _lc_test (q_value, significant) and the layers (_lc_layer: k, tests m, discoveries d, critical p).
 * Spans patterns (the q of a test depends on its rank among all tests of its layer): on a sharded deployment the
 * router runs it over the p-values every shard hands up. Returns the number of layers L.
 */
CREATE OR REPLACE FUNCTION learning._lessons_by()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    v_q constant float := (t ->> 'fdr_q')::float;
    v_layers integer;
BEGIN
    -- 2. layered Benjamini-Yekutieli: BY at fdr_q / L within each subset size -----------------------------
    SELECT count(DISTINCT x.k) INTO v_layers FROM _lc_test AS x WHERE x.p IS NOT NULL;
    CREATE TEMP TABLE _lc_q ON COMMIT DROP AS
    SELECT u.stats_id, u.kind, u.q
    FROM (SELECT y.k, array_agg(y.p ORDER BY y.stats_id, y.kind) AS ps, array_agg(y.stats_id ORDER BY y.stats_id, y.kind) AS ids,
                 array_agg(y.kind ORDER BY y.stats_id, y.kind) AS kinds
          FROM _lc_test AS y WHERE y.p IS NOT NULL GROUP BY y.k) AS l
    CROSS JOIN LATERAL unnest(l.ids, l.kinds, learning.by_adjust(l.ps)) AS u (stats_id, kind, q);
    ANALYZE _lc_q;
    UPDATE _lc_test AS x
    SET q = least(1.0, v_layers * a.q), sig = v_layers * a.q <= v_q
    FROM _lc_q AS a
    WHERE a.stats_id = x.stats_id AND a.kind = x.kind;
    ANALYZE _lc_test;

    CREATE TEMP TABLE _lc_layer ON COMMIT DROP AS
    SELECT x.k, count(x.p)::int AS m, (count(*) FILTER (WHERE x.sig))::int AS d,
           (count(*) FILTER (WHERE x.sig)) * (v_q / nullif(v_layers, 0)) / (count(x.p) * learning.by_harmonic(count(x.p))) AS crit
    FROM _lc_test AS x
    WHERE x.p IS NOT NULL
    GROUP BY x.k;
    RETURN coalesce(v_layers, 0);
END;
$$;
COMMENT ON FUNCTION learning._lessons_by() IS
'Private, epoch stage 2: layered Benjamini-Yekutieli over all tests of the epoch (_lc_test, _lc_layer); spans patterns.';
REVOKE ALL ON FUNCTION learning._lessons_by() FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_by() TO pglearn_admin;

/*
 * learning._lessons_epoch(p_epoch integer, p_as_of timestamptz, p_layers integer) -> integer
 *
 * Private (learning.build_lessons): the epoch's row in learning.lesson_epoch (fdr_q, the number of layers, tests,
 * discoveries, chosen cells after the overlap rule, and per layer its tests, discoveries and critical p), from
 * _lc_test and _lc_layer. Spans patterns: a sharded router writes it (and hands it to every shard). Returns p_epoch.
 */
CREATE OR REPLACE FUNCTION learning._lessons_epoch(p_epoch integer, p_as_of timestamptz, p_layers integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_q constant float := (learning.pm_config() #>> '{tunables,fdr_q}')::float;
BEGIN
    INSERT INTO learning.lesson_epoch (epoch_no, as_of, fdr_q, layers, tests, discoveries, chosen, per_layer)
    SELECT p_epoch, p_as_of, v_q, coalesce(p_layers, 0),
           (SELECT count(*) FROM _lc_test AS x WHERE x.p IS NOT NULL),
           (SELECT count(*) FROM _lc_test AS x WHERE x.sig),
           (SELECT count(*) FROM _lc_test AS x WHERE x.chosen),
           coalesce((SELECT jsonb_agg(jsonb_build_object('k', ly.k, 'tests', ly.m, 'discoveries', ly.d, 'critical_p', ly.crit) ORDER BY ly.k)
                     FROM _lc_layer AS ly), '[]');
    RETURN p_epoch;
END;
$$;
COMMENT ON FUNCTION learning._lessons_epoch(integer, timestamptz, integer) IS
'Private: writes the epoch''s row (lesson_epoch: layers, tests, discoveries, chosen, per layer) from _lc_test and _lc_layer.';
REVOKE ALL ON FUNCTION learning._lessons_epoch(integer, timestamptz, integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_epoch(integer, timestamptz, integer) TO pglearn_admin;

/*
 * learning._lessons_facts(p_as_of timestamptz, p_local boolean DEFAULT TRUE) -> integer
 *
 * Private (learning.build_lessons): the facts closed by p_as_of of the (pattern, category) pairs that still have
 * significant, self-sufficient tests in _lc_test, into the session table _lc_fact (the productivity remainders
 * and the overlap rule are taken over them). p_local = false creates it empty (a router fills it with the facts of
 * the chosen cells the shards hand up). Returns the number of facts.
 */
CREATE OR REPLACE FUNCTION learning._lessons_facts(p_as_of timestamptz, p_local boolean DEFAULT TRUE)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
    DROP TABLE IF EXISTS _lc_fact;
    -- the facts of the patterns that still have candidates (the remainders below are taken over them)
    CREATE TEMP TABLE _lc_fact ON COMMIT DROP AS
    SELECT f.pattern_key, f.action_category, f.position_id, f.scope, f.rr,
           CASE WHEN f.action_category = 'entry' THEN (f.details ->> 'cf_entry_gain_rr')::float
                ELSE learning._cf_exit_signed_gain(f.details) END AS cf
    FROM learning._trade_facts('-infinity', p_as_of) AS f
    WHERE (f.pattern_key, f.action_category) IN (SELECT x.pattern_key, x.action_category FROM _lc_test AS x WHERE x.sig AND x.ss)
      AND p_local;
    CREATE INDEX ON _lc_fact (pattern_key, action_category);
    CREATE INDEX ON _lc_fact (position_id);
    ANALYZE _lc_fact;
    RETURN (SELECT count(*)::int FROM _lc_fact);
END;
$$;
COMMENT ON FUNCTION learning._lessons_facts(timestamptz, boolean) IS
'Private: the facts of the patterns with candidates left, into _lc_fact (build_lessons remainders and overlap rule).';
REVOKE ALL ON FUNCTION learning._lessons_facts(timestamptz, boolean) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_facts(timestamptz, boolean) TO pglearn_admin;

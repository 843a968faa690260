/*
 * learning._lessons_record(p_epoch integer) -> integer
 *
 * Private, stage 5 of an epoch (learning.build_lessons): every test of the epoch with the reason it is or is not a
 * lesson (learning.lesson_candidate, earlier epochs' tests removed; the epoch's row, learning._lessons_epoch, is
 * written first), from _lc_test and _lc_layer. On a sharded deployment each shard records its own tests, with the
 * router's layers and overlap outcome (scaleout.shard_record). Returns the number of candidates written.
 */
CREATE OR REPLACE FUNCTION learning._lessons_record(p_epoch integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    v_q constant float := (t ->> 'fdr_q')::float;
    v_edge_min constant float := (t ->> 'edge_min')::float;
    v_rows integer;
BEGIN
    -- the epoch's tests, with the reason each is or is not a lesson ------------------------------------------
    DELETE FROM learning.lesson_candidate AS c WHERE c.epoch_no < p_epoch;  -- only the latest epoch's tests are kept
    INSERT INTO learning.lesson_candidate (
        epoch_no, stats_id, kind, pattern_key, action_category, scope_mask, scope_values, scope_values_hash, k, n, mean,
        variance, null_mean, p_value, q_value, significant, parent_p, weakest_parent, self_sufficient, remainder_n,
        remainder_p, productive, shrink_weight, shrunk_mean, edge_raw, edge_shrunk, chosen, reason
    )
    SELECT p_epoch, x.stats_id, x.kind, x.pattern_key, x.action_category, x.scope_mask, x.scope_values, x.scope_values_hash,
           x.k, x.n, x.mean, x.var, x.mu0, x.p, x.q, x.sig, x.parent_p, x.weakest_parent, x.ss, x.remainder_n, x.remainder_p,
           x.productive, x.w, x.shrunk, CASE WHEN x.kind = 'rr' THEN x.edge_raw END, x.edge_shrunk, x.chosen,
           CASE
               WHEN x.p IS NULL THEN 'not tested: no variance to test against'
               WHEN NOT x.sig THEN format('not significant: q = %s > fdr_q = %s (p = %s, %s tests with k = %s)',
                   round(x.q::numeric, 4), v_q, to_char(x.p, '9.99EEEE'), ly.m, x.k)
               WHEN NOT x.ss THEN format('not self-sufficient: does not differ from its parent %s without its samples (p = %s > %s)',
                   x.weakest_parent, to_char(x.parent_p, '9.99EEEE'), to_char(ly.crit, '9.99EEEE'))
               WHEN x.explained_by IS NOT NULL THEN format(
                   'explained by stronger overlapping lesson(s) %s: without their samples its effect is gone (n = %s, p = %s)',
                   x.explained_by, x.remainder_n, coalesce(to_char(x.remainder_p, '9.99EEEE'), 'none'))
               WHEN NOT x.productive THEN format(
                   'not independently productive: without the samples of its significant descendants its effect is gone (n = %s, p = %s)',
                   x.remainder_n, coalesce(to_char(x.remainder_p, '9.99EEEE'), 'none'))
               WHEN x.chosen THEN format('lesson: q = %s, self-sufficient and productive, shrinkage weight %s, %s',
                   to_char(x.q, '9.99EEEE'), round(x.w::numeric, 3),
                   CASE WHEN x.kind = 'rr' THEN format('shrunk edge %s', round(x.edge_shrunk::numeric, 3))
                        ELSE format('shrunk counterfactual gain %s R', round(x.shrunk::numeric, 3)) END)
               WHEN x.kind = 'rr' THEN format('below the effect-size floor: shrunk edge %s, edge_min %s',
                   round(coalesce(x.edge_shrunk, 0)::numeric, 3), v_edge_min)
               ELSE 'the counterfactual does not favour a later entry once shrunk'
           END
    FROM _lc_test AS x
    LEFT JOIN _lc_layer AS ly ON ly.k = x.k;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning._lessons_record(integer) IS
'Private, epoch stage 5: writes the epoch''s tests with their reasons (lesson_candidate).';
REVOKE ALL ON FUNCTION learning._lessons_record(integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_record(integer) TO pglearn_admin;

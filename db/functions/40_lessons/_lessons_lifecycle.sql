/*
 * learning._lessons_lifecycle(p_epoch integer, p_as_of timestamptz, p_oos jsonb DEFAULT NULL) -> integer
 *
 * Private, stage 7 of an epoch (learning.build_lessons, docs/levers.md): a lesson not re-confirmed for
 * stale_after_epochs epochs becomes stale, for retire_after_epochs retired; the out-of-sample guard rolls back an
 * active lesson whose overrides lost out of sample. The evidence is learning._oos_evidence(p_as_of), or p_oos (a
 * JSON array of its rows: a router gathers them from the shards, where the overrides are scored). Returns the
 * number of lessons whose out-of-sample evidence was updated.
 */
CREATE OR REPLACE FUNCTION learning._lessons_lifecycle(p_epoch integer, p_as_of timestamptz, p_oos jsonb DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    t constant jsonb := learning.pm_config() -> 'tunables';
    v_stale constant int := (t ->> 'stale_after_epochs')::int;
    v_retire constant int := (t ->> 'retire_after_epochs')::int;
    v_oos_min constant int := (t ->> 'oos_min_trades')::int;
    v_oos_p constant float := (t ->> 'oos_p')::float;
    v_rows integer;
BEGIN
    -- 7. lifecycle: stale, retired; the out-of-sample guard ------------------------------------------------
    UPDATE learning.learning_lessons AS l
    SET status = x.status, status_changed_at = p_as_of, updated_at = now(),
        status_reason = format('not re-confirmed for %s epochs (last: epoch %s)', p_epoch - coalesce(l.confirmed_epoch, 0),
                               coalesce(l.confirmed_epoch::text, 'before epochs were counted'))
    FROM (SELECT l2.id, CASE WHEN p_epoch - coalesce(l2.confirmed_epoch, 0) >= v_retire THEN 'retired'
                             WHEN p_epoch - coalesce(l2.confirmed_epoch, 0) >= v_stale THEN 'stale'
                             ELSE l2.status END AS status
          FROM learning.learning_lessons AS l2
          WHERE l2.status IN ('active', 'stale') AND coalesce(l2.confirmed_epoch, 0) < p_epoch) AS x
    WHERE x.id = l.id AND x.status <> l.status;

    UPDATE learning.learning_lessons AS l
    SET oos_trades = x.n, oos_excess_rr = x.excess, oos_p = x.p,
        status = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p THEN 'rolled_back' ELSE l.status END,
        status_reason = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p
            THEN format('rolled back: out of sample its overrides did %s R per trade against its pattern over %s trades (one-sided p = %s < %s)',
                        round(x.excess::numeric, 3), x.n, to_char(x.p, '9.99EEEE'), v_oos_p)
            ELSE l.status_reason END,
        status_changed_at = CASE WHEN x.n >= v_oos_min AND x.p < v_oos_p THEN p_as_of ELSE l.status_changed_at END
    FROM (SELECT o.lesson_id, o.windows, o.n, o.excess, o.p FROM learning._oos_evidence(p_as_of) AS o WHERE p_oos IS NULL
          UNION ALL
          SELECT o.lesson_id, o.windows, o.n, o.excess, o.p
          FROM jsonb_to_recordset(p_oos) AS o (lesson_id bigint, windows bigint, n bigint, excess float8, p float8)) AS x
    WHERE x.lesson_id = l.id AND l.status = 'active';
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning._lessons_lifecycle(integer, timestamptz, jsonb) IS
'Private, epoch stage 7: stale / retired lessons and the out-of-sample guard (build_lessons).';
REVOKE ALL ON FUNCTION learning._lessons_lifecycle(integer, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning._lessons_lifecycle(integer, timestamptz, jsonb) TO pglearn_admin;

/*
 * learning.record_override_decisions(hours timestamptz[], generations bigint[], lesson_ids bigint[],
 *                                     shadow boolean[], decisions bigint[], execution_decisions bigint[]) -> integer
 *
 * The bulk telemetry of pglearn.OverrideCache: element i says that in the hour hours[i] the cache decided
 * decisions[i] times with the override of lesson lesson_ids[i] of generation generations[i], in shadow mode when
 * shadow[i], execution_decisions[i] of them with execution levers. Added to learning.override_decision_counts
 * (source 'cache'; hours are truncated to the UTC hour). Returns the number of elements.
 * Errors (22023, nothing written): arrays of different lengths or with a NULL element; decisions[i] < 1 or
 * execution_decisions[i] outside [0, decisions[i]]; generations[i] / lesson_ids[i] < 1.
 */
CREATE OR REPLACE FUNCTION learning.record_override_decisions(
    hours timestamptz[], generations bigint[], lesson_ids bigint[], shadow boolean[], decisions bigint[],
    execution_decisions bigint[]
)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_n integer := coalesce(cardinality(hours), 0);
    v_bad text;
BEGIN
    SELECT f INTO v_bad
    FROM (VALUES (1, 'generations', cardinality(generations)), (2, 'lesson_ids', cardinality(lesson_ids)),
                 (3, 'shadow', cardinality(shadow)), (4, 'decisions', cardinality(decisions)),
                 (5, 'execution_decisions', cardinality(execution_decisions))) AS a (i, f, n)
    WHERE a.n IS DISTINCT FROM v_n
    ORDER BY a.i LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION '% must have as many elements as hours (%)', v_bad, v_n
            USING ERRCODE = '22023', HINT = 'One element per counter in every array.';
    END IF;
    SELECT format('element %s', u.i) INTO v_bad
    FROM unnest(hours, generations, lesson_ids, shadow, decisions, execution_decisions) WITH ORDINALITY AS u (h, g, l, s, d, e, i)
    WHERE u.h IS NULL OR u.g IS NULL OR u.l IS NULL OR u.s IS NULL OR u.d IS NULL OR u.e IS NULL
       OR u.g < 1 OR u.l < 1 OR u.d < 1 OR u.e < 0 OR u.e > u.d OR NOT isfinite(u.h)
    ORDER BY u.i LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'decision counters: % is invalid', v_bad
            USING ERRCODE = '22023',
                  HINT = 'hours finite, generations and lesson_ids >= 1, decisions >= 1, 0 <= execution_decisions <= decisions, no NULL.';
    END IF;
    INSERT INTO learning.override_decision_counts AS c (hour, generation, lesson_id, mode, source, decisions, execution_decisions)
    SELECT date_trunc('hour', u.h, 'UTC'), u.g, u.l, CASE WHEN u.s THEN 'shadow' ELSE 'apply' END, 'cache', sum(u.d), sum(u.e)
    FROM unnest(hours, generations, lesson_ids, shadow, decisions, execution_decisions) AS u (h, g, l, s, d, e)
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, generation, lesson_id, mode, source) DO UPDATE
    SET decisions = c.decisions + excluded.decisions, execution_decisions = c.execution_decisions + excluded.execution_decisions;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION learning.record_override_decisions(timestamptz[], bigint[], bigint[], boolean[], bigint[], bigint[]) IS
'Bulk telemetry of pglearn.OverrideCache: adds hourly decision counters (source cache). Errors: 22023 (docs/api.md).';
REVOKE ALL ON FUNCTION learning.record_override_decisions(timestamptz[], bigint[], bigint[], boolean[], bigint[], bigint[]) FROM public;
GRANT EXECUTE ON FUNCTION learning.record_override_decisions(timestamptz[], bigint[], bigint[], boolean[], bigint[], bigint[])
TO pglearn_pm;

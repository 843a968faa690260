/*
 * learning._cron_recent_fire(schedule text, before timestamptz, k integer) -> timestamptz
 *
 * The k-th most recent time at or before `before` at which a five-field cron schedule fires (k = 1: the latest),
 * in GMT like pg_cron's default cron.timezone and learning.job_registry.cron_schedule. Vixie-cron day rule: when
 * both day-of-month and day-of-week are restricted (neither starts with '*') a day matches either, else both;
 * day-of-week 7 is Sunday. Looks back at most 366 * k days (NULL beyond, and for k < 1 or a schedule that is not
 * five fields). Each matching day has a fire time, so the k most recent fire times lie in the k + 1 most recent
 * matching days: only those are expanded. Read by learning.evaluate_alerts (a job is late when it has not run
 * since its k-th most recent scheduled time).
 */
CREATE OR REPLACE FUNCTION learning._cron_recent_fire(schedule text, before timestamptz, k integer)
RETURNS timestamptz
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    WITH f AS (
        SELECT string_to_array(schedule, ' ') AS a
    ),

    s AS (
        SELECT
            learning._cron_field(f.a[1], 0, 59) AS mins,
            learning._cron_field(f.a[2], 0, 23) AS hrs,
            learning._cron_field(f.a[3], 1, 31) AS doms,
            learning._cron_field(f.a[4], 1, 12) AS mons,
            array(SELECT DISTINCT x.x % 7 FROM unnest(learning._cron_field(f.a[5], 0, 7)) AS x (x)) AS dows,
            f.a[3] LIKE '*%' OR f.a[5] LIKE '*%' AS both_days
        FROM f
        WHERE cardinality(f.a) = 5 AND k >= 1
    ),

    days AS (
        SELECT d.d
        FROM s
        CROSS JOIN LATERAL generate_series(
            date_trunc('day', before AT TIME ZONE 'GMT'), date_trunc('day', before AT TIME ZONE 'GMT') - 366 * k * interval '1 day',
            interval '-1 day'
        ) AS d (d)
        WHERE extract(MONTH FROM d.d)::integer = ANY(s.mons)
            AND CASE
                WHEN s.both_days THEN extract(DAY FROM d.d)::integer = ANY(s.doms) AND extract(DOW FROM d.d)::integer = ANY(s.dows)
                ELSE extract(DAY FROM d.d)::integer = ANY(s.doms) OR extract(DOW FROM d.d)::integer = ANY(s.dows)
            END
        ORDER BY d.d DESC
        LIMIT k + 1
    )

    SELECT (days.d + make_interval(hours => h.h, mins => m.m)) AT TIME ZONE 'GMT' AS t
    FROM days
    CROSS JOIN s
    CROSS JOIN LATERAL unnest(s.hrs) AS h (h)
    CROSS JOIN LATERAL unnest(s.mins) AS m (m)
    WHERE (days.d + make_interval(hours => h.h, mins => m.m)) AT TIME ZONE 'GMT' <= before
    ORDER BY t DESC
    OFFSET k - 1
    LIMIT 1
$$;
COMMENT ON FUNCTION learning._cron_recent_fire(text, timestamptz, integer) IS
'The k-th most recent fire time (GMT) at or before a time of a five-field cron schedule; NULL when none within 366 * k days.';
REVOKE ALL ON FUNCTION learning._cron_recent_fire(text, timestamptz, integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._cron_recent_fire(text, timestamptz, integer) TO pglearn_admin;

/*
 * learning._cron_field(field text, lo integer, hi integer) -> integer[]
 *
 * The values one field of a five-field cron schedule stands for, within [lo, hi], ascending: a comma list of
 * '*', 'n', 'a-b', each optionally '/step' ('n/step' runs from n to hi). The registry's CHECK
 * (learning.job_registry.cron_schedule) admits only digits and * / , -, so no names. Values outside [lo, hi] are
 * dropped; an empty result is NULL. Read by learning._cron_recent_fire.
 */
CREATE OR REPLACE FUNCTION learning._cron_field(field text, lo integer, hi integer)
RETURNS integer[]
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT array_agg(DISTINCT v.v ORDER BY v.v)
    FROM (
        SELECT
            split_part(item, '/', 1) AS r,
            greatest(coalesce(nullif(split_part(item, '/', 2), '')::integer, 1), 1) AS step,
            item LIKE '%/%' AS stepped
        FROM unnest(string_to_array(field, ',')) AS item
    ) AS i
    CROSS JOIN LATERAL generate_series(
        CASE WHEN i.r = '*' THEN lo ELSE split_part(i.r, '-', 1)::integer END,
        CASE
            WHEN i.r = '*' THEN hi
            WHEN i.r LIKE '%-%' THEN split_part(i.r, '-', 2)::integer
            WHEN i.stepped THEN hi
            ELSE split_part(i.r, '-', 1)::integer
        END,
        i.step
    ) AS v (v)
    WHERE v.v BETWEEN lo AND hi
$$;
COMMENT ON FUNCTION learning._cron_field(text, integer, integer) IS
'The values of one cron schedule field (*, n, a-b, each optionally /step) within [lo, hi], ascending; NULL when none.';
REVOKE ALL ON FUNCTION learning._cron_field(text, integer, integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._cron_field(text, integer, integer) TO pglearn_admin;

/* learning.v_override_application_rates: how often overrides are applied, per hour and pattern. */
CREATE OR REPLACE VIEW learning.v_override_application_rates AS
SELECT
    a.pattern_key,
    a.action_category,
    date_trunc('hour', a.applied_at) AS hour,
    count(*) AS applications,
    count(DISTINCT a.strength_lesson_id) AS distinct_overrides,
    count(*) FILTER (WHERE a.execution_lesson_id IS NOT NULL) AS execution_applications,
    avg((a.after #>> '{levers,position_size_frac}')::float / nullif((a.before #>> '{levers,position_size_frac}')::float, 0))
        AS mean_size_ratio
FROM learning.override_application AS a
GROUP BY date_trunc('hour', a.applied_at), a.pattern_key, a.action_category;
COMMENT ON VIEW learning.v_override_application_rates IS 'Override applications per hour, pattern and category, with the mean applied size ratio.';
GRANT SELECT ON learning.v_override_application_rates TO pglearn_reader;

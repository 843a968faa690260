/*
 * learning.v_override_application_rates: how often overrides are applied, per hour (UTC), pattern and category.
 *  - from the telemetry counters (learning.override_decision_counts: resolve_overrides after the roll-up of
 *    learning.flush_override_decisions, every minute; pglearn.OverrideCache batches) and the full rows of
 *    override_application (record_override_application, or resolve_overrides with telemetry_full: a decision is
 *    recorded once, as a counter or as a full row);
 *  - applications: decisions in apply mode; shadow_decisions: decisions recorded in shadow mode (not applied);
 *  - mean_size_ratio: the mean size_mult of the applied overrides (before the [0, 1] clamp of the size), weighted
 *    by applications; NULL once their generation is pruned.
 * Reads only logged tables: answers on a hot standby.
 */
CREATE OR REPLACE VIEW learning.v_override_application_rates AS
WITH decisions AS (
    SELECT
        l.pattern_key::text AS pattern_key,
        l.action_category::text AS action_category,
        d.hour,
        d.lesson_id,
        r.size_mult,
        CASE WHEN d.mode = 'apply' THEN d.decisions ELSE 0 END AS applications,
        CASE WHEN d.mode = 'apply' THEN d.execution_decisions ELSE 0 END AS execution_applications,
        CASE WHEN d.mode = 'shadow' THEN d.decisions ELSE 0 END AS shadow_decisions
    FROM learning.override_decision_counts AS d
    INNER JOIN learning.learning_lessons AS l ON d.lesson_id = l.id
    LEFT JOIN learning.runtime_override AS r ON d.generation = r.generation AND d.lesson_id = r.lesson_id
    UNION ALL
    SELECT
        a.pattern_key::text,
        a.action_category::text,
        date_trunc('hour', a.applied_at, 'UTC') AS hour,
        a.strength_lesson_id AS lesson_id,
        (a.after #>> '{levers,position_size_frac}')::float / nullif((a.before #>> '{levers,position_size_frac}')::float, 0) AS size_mult,
        1 AS applications,
        CASE WHEN a.execution_lesson_id IS NOT NULL THEN 1 ELSE 0 END AS execution_applications,
        0 AS shadow_decisions
    FROM learning.override_application AS a
)

SELECT
    decisions.pattern_key,
    decisions.action_category,
    decisions.hour,
    coalesce(sum(decisions.applications), 0) AS applications,
    count(DISTINCT decisions.lesson_id) FILTER (WHERE decisions.applications > 0) AS distinct_overrides,
    coalesce(sum(decisions.execution_applications), 0) AS execution_applications,
    sum(decisions.size_mult * decisions.applications)
    / nullif(sum(decisions.applications) FILTER (WHERE decisions.size_mult IS NOT NULL), 0) AS mean_size_ratio,
    coalesce(sum(decisions.shadow_decisions), 0) AS shadow_decisions
FROM decisions
GROUP BY decisions.hour, decisions.pattern_key, decisions.action_category;
COMMENT ON VIEW learning.v_override_application_rates IS
'Override decisions per UTC hour, pattern and category (telemetry counters and forwarded results): applied, shadow, mean size_mult applied.';
GRANT SELECT ON learning.v_override_application_rates TO pglearn_reader;

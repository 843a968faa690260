/*
 * learning.v_alerts: the alerts, open ones first (critical, warning, info), then the resolved ones newest first;
 * open = resolved_at IS NULL, age = how long the condition has held (open) or held (resolved).
 */
CREATE OR REPLACE VIEW learning.v_alerts AS
SELECT
    a.id,
    a.kind,
    a.subject,
    a.severity,
    a.detail,
    a.first_seen,
    a.last_seen,
    a.resolved_at,
    a.data,
    a.resolved_at IS NULL AS open,
    coalesce(a.resolved_at, a.last_seen) - a.first_seen AS age
FROM learning.alerts AS a
ORDER BY
    a.resolved_at IS NOT NULL,
    array_position(ARRAY['critical', 'warning', 'info'], a.severity),
    coalesce(a.resolved_at, a.first_seen) DESC,
    a.id DESC;
COMMENT ON VIEW learning.v_alerts IS
'Alerts (learning.evaluate_alerts): open first by severity, then resolved newest first; open, age, detail and figures.';
REVOKE ALL ON learning.v_alerts FROM public;
GRANT SELECT ON learning.v_alerts TO pglearn_reader;

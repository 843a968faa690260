/*
 * learning.evaluate_alerts(as_of timestamptz DEFAULT now()) -> integer
 *
 * The job evaluate_alerts (learning.job_registry; docs/operations.md "Alerts"): judges every alert condition,
 * then in one statement refreshes the open learning.alerts rows whose condition still holds (last_seen,
 * detail, data, severity), opens a row for each new (kind, subject) and resolves (resolved_at) each open row whose
 * condition cleared; each new and resolved alert sends NOTIFY pglearn_alerts with a JSON payload
 * {"event": "new" | "resolved", "id", "kind", "subject", "severity", "detail"} (delivered at commit).
 * The conditions (thresholds: pm_config.tunables.alert_*):
 *  - override_oos_negative (critical), per override in force (current generation) with a size lever: its
 *    out-of-sample signed excess R per matched trade is significantly negative: learning._oos_evidence (the
 *    evidence build_lessons' out-of-sample guard reads) gives at least alert_oos_min_trades trades, a negative mean
 *    and a one-sided p below alert_oos_p. Thresholds of its own: the alert can warn before the guard (tunables
 *    oos_min_trades, oos_p) rolls the lesson back;
 *  - job_failed (critical), per registry job: its latest finished run in learning.job_runs failed or was
 *    interrupted (cleared by a later ok run);
 *  - job_late (warning), per job pg_cron runs here (learning._scheduled_jobs: none without pg_cron): no run has
 *    started since its alert_job_late_intervals-th most recent scheduled time (learning._cron_recent_fire); a job
 *    that never ran is judged from the oldest job_runs row (none: not judged);
 *  - overrides_not_applied (warning): overrides are in force and enabled (feature_flags.learning_overrides_enabled,
 *    and learning_overrides_mode, where the config has it, not 'shadow'), resolve_overrides applied overrides before
 *    (learning.v_override_application_rates.applications) but none in the last alert_application_window_hours (to
 *    the hour);
 *  - rows_quarantined (warning), per table: learning.v_quarantine lists rows of it;
 *  - lever_at_bound (info), per active lesson and lever: a lever of its effect sits at a hard bound of
 *    learning.lever_catalogue() that is not the lever's neutral value.
 * Judged at the wall clock (now()), whatever as_of (the job signature's; a replay passes its past as_of): job runs,
 * schedules and applications are wall-clock facts. first_seen, last_seen and resolved_at are now().
 * Returns the number of open alerts.
 */
CREATE OR REPLACE FUNCTION learning.evaluate_alerts(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_cfg constant jsonb := learning.pm_config();
    v_oos_p constant float := (v_cfg #>> '{tunables,alert_oos_p}')::float;
    v_oos_min constant integer := (v_cfg #>> '{tunables,alert_oos_min_trades}')::integer;
    v_late_k constant integer := (v_cfg #>> '{tunables,alert_job_late_intervals}')::integer;
    v_window constant interval := (v_cfg #>> '{tunables,alert_application_window_hours}')::float * interval '1 hour';
    v_open integer;
    v_events jsonb;
BEGIN
    WITH cond AS MATERIALIZED (
        -- an override in force losing out of sample
        SELECT
            'override_oos_negative'::text AS kind,
            format('%s %s %s', o.pattern_key, o.action_category, o.scope_values) AS subject,
            'critical'::text AS severity,
            format('out-of-sample signed excess %s R per matched trade over %s trades in %s windows (one-sided p %s)',
                   round(o.excess::numeric, 3), o.n, o.windows, to_char(o.p, '9.99EEEE')) AS detail,
            jsonb_build_object('pattern_key', o.pattern_key, 'action_category', o.action_category, 'scope_values', o.scope_values,
                               'lesson_id', o.lesson_id, 'windows', o.windows, 'trades', o.n, 'signed_excess_rr_per_trade', o.excess,
                               'p', o.p) AS data
        FROM (
            SELECT r.pattern_key, r.action_category, r.scope_values, e.lesson_id, e.windows, e.n, e.excess, e.p
            FROM learning._oos_evidence(now()) AS e
            INNER JOIN learning.runtime_override AS r ON r.lesson_id = e.lesson_id
            INNER JOIN learning.override_current AS c ON r.generation = c.generation
            WHERE e.n >= v_oos_min AND e.excess < 0
        ) AS o
        WHERE o.p < v_oos_p

        UNION ALL
        -- a job whose latest finished run failed
        SELECT
            'job_failed', l.job, 'critical',
            format('latest run %s %s at %s: %s', l.id, l.status, l.started_at, coalesce(l.error, 'no error recorded')),
            jsonb_build_object('run_id', l.id, 'status', l.status, 'started_at', l.started_at, 'sqlstate', l.sqlstate,
                               'error', l.error, 'hint', l.hint)
        FROM learning.job_registry AS r
        CROSS JOIN LATERAL (
            SELECT j.id, j.job, j.status, j.started_at, j.sqlstate, j.error, j.hint
            FROM learning.job_runs AS j
            WHERE j.job = r.job AND j.status IN ('ok', 'failed', 'interrupted')
            ORDER BY j.started_at DESC, j.id DESC
            LIMIT 1
        ) AS l
        WHERE l.status <> 'ok'

        UNION ALL
        -- a scheduled job that has not run for alert_job_late_intervals of its intervals
        SELECT
            'job_late', s.job, 'warning',
            format('no run since %s; scheduled %s (GMT), due at least %s times since %s', coalesce(l.last_run::text, 'ever'),
                   s.cron_schedule, v_late_k, d.due),
            jsonb_build_object('cron_schedule', s.cron_schedule, 'last_run', l.last_run, 'due_since', d.due,
                               'intervals', v_late_k)
        FROM learning._scheduled_jobs() AS s
        CROSS JOIN LATERAL (
            SELECT learning._cron_recent_fire(s.cron_schedule, now(), v_late_k) AS due
        ) AS d
        CROSS JOIN LATERAL (
            SELECT
                max(j.started_at) AS last_run,
                coalesce(max(j.started_at), (SELECT min(a.started_at) FROM learning.job_runs AS a)) AS since
            FROM learning.job_runs AS j
            WHERE j.job = s.job
        ) AS l
        WHERE l.since < d.due

        UNION ALL
        -- overrides in force that resolve_overrides stopped applying
        SELECT
            'overrides_not_applied', 'resolve_overrides', 'warning',
            format('%s overrides in force (generation %s), applied before, none applied in the last %s hours',
                   n.overrides, c.generation, extract(EPOCH FROM v_window) / 3600),
            jsonb_build_object('generation', c.generation, 'overrides', n.overrides,
                               'window_hours', extract(EPOCH FROM v_window) / 3600)
        FROM learning.override_current AS c
        CROSS JOIN LATERAL (SELECT count(*) AS overrides FROM learning.runtime_override AS r WHERE r.generation = c.generation) AS n
        WHERE n.overrides > 0
            AND (v_cfg #>> '{feature_flags,learning_overrides_enabled}')::boolean
            AND (v_cfg #>> '{feature_flags,learning_overrides_mode}') IS DISTINCT FROM 'shadow'
            AND EXISTS (
                SELECT 1 FROM learning.v_override_application_rates AS a
                WHERE a.hour < date_trunc('hour', now() - v_window) AND a.applications > 0
            )
            AND NOT EXISTS (
                SELECT 1 FROM learning.v_override_application_rates AS a
                WHERE a.hour >= date_trunc('hour', now() - v_window) AND a.applications > 0
            )

        UNION ALL
        -- rows the learning jobs skip
        SELECT
            'rows_quarantined', q.source, 'warning',
            format('%s rows of learning.%s quarantined (learning.v_quarantine), e.g. %s: %s', q.n, q.source, q.row_id, q.reason),
            jsonb_build_object('rows', q.n, 'example_row', q.row_id, 'example_reason', q.reason)
        FROM (
            SELECT v.source, count(*) AS n, min(v.row_id) AS row_id, min(v.reason) AS reason
            FROM learning.v_quarantine AS v
            GROUP BY v.source
        ) AS q

        UNION ALL
        -- a lever of an active lesson at a hard bound
        SELECT
            'lever_at_bound', format('lesson %s %s', b.id, b.lever), 'info',
            format('lesson %s (%s %s) sets %s = %s, its hard bound [%s, %s]', b.id, b.pattern_key, b.action_category, b.lever,
                   b.value, b.hard_lo, b.hard_hi),
            jsonb_build_object('lesson_id', b.id, 'lever', b.lever, 'value', b.value, 'hard_lo', b.hard_lo, 'hard_hi', b.hard_hi)
        FROM (
            SELECT l.id, l.pattern_key, l.action_category, v.lever, (v.value #>> '{}')::float AS value, c.hard_lo, c.hard_hi,
                c.neutral
            FROM learning.learning_lessons AS l
            CROSS JOIN LATERAL (
                SELECT e.key AS lever, e.value, e.key AS catalogue_lever
                FROM jsonb_each(coalesce(l.effect -> 'capital_levers', '{}') || coalesce(l.effect -> 'execution_levers', '{}')) AS e
                WHERE e.key <> 'signal_thresholds'
                UNION ALL
                SELECT e.key, e.value, 'signal_threshold'
                FROM jsonb_each(coalesce(l.effect #> '{execution_levers,signal_thresholds}', '{}')) AS e
            ) AS v
            INNER JOIN learning.lever_catalogue() AS c ON v.catalogue_lever = c.lever
            WHERE l.status = 'active' AND jsonb_typeof(v.value) = 'number'
        ) AS b
        WHERE (b.value <= b.hard_lo OR b.value >= b.hard_hi) AND b.value <> b.neutral
    ),

    refreshed AS (
        UPDATE learning.alerts AS a
        SET last_seen = now(), detail = c.detail, data = c.data, severity = c.severity
        FROM cond AS c
        WHERE a.resolved_at IS NULL AND a.kind = c.kind AND a.subject = c.subject
        RETURNING a.id
    ),

    opened AS (
        INSERT INTO learning.alerts (kind, subject, severity, detail, data)
        SELECT c.kind, c.subject, c.severity, c.detail, c.data
        FROM cond AS c
        WHERE NOT EXISTS (SELECT 1 FROM learning.alerts AS a WHERE a.resolved_at IS NULL AND a.kind = c.kind AND a.subject = c.subject)
        RETURNING id, kind, subject, severity, detail
    ),

    resolved AS (
        UPDATE learning.alerts AS a
        SET resolved_at = now()
        WHERE a.resolved_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM cond AS c WHERE c.kind = a.kind AND c.subject = a.subject)
        RETURNING a.id, a.kind, a.subject, a.severity, a.detail
    ),

    events AS (
        SELECT 'new' AS event, o.id, o.kind, o.subject, o.severity, o.detail FROM opened AS o
        UNION ALL
        SELECT 'resolved', r.id, r.kind, r.subject, r.severity, r.detail FROM resolved AS r
    )

    SELECT coalesce(jsonb_agg(jsonb_build_object('event', e.event, 'id', e.id, 'kind', e.kind, 'subject', left(e.subject, 1000),
                                                  'severity', e.severity, 'detail', left(e.detail, 2000)) ORDER BY e.id), '[]')
    INTO v_events
    FROM events AS e;

    PERFORM pg_notify('pglearn_alerts', e.value::text) FROM jsonb_array_elements(v_events) AS e;
    SELECT count(*) INTO v_open FROM learning.alerts AS a WHERE a.resolved_at IS NULL;
    RETURN v_open;
END;
$$;
COMMENT ON FUNCTION learning.evaluate_alerts(timestamptz) IS
'The alert job: opens, refreshes and resolves learning.alerts (losing overrides, failed or late jobs, overrides not applied, quarantined rows, levers at a hard bound) and sends NOTIFY pglearn_alerts on each new or resolved alert; returns the open count.';
REVOKE ALL ON FUNCTION learning.evaluate_alerts(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.evaluate_alerts(timestamptz) TO pglearn_admin;

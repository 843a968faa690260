/*
 * learning.v_quarantine: the action_log and completed_trades rows the learning jobs skip, and why.
 *
 * Every value is checked at the door (the validation triggers), but a row can still be outside its domain:
 * written before a rule existed, or loaded with the triggers disabled. learning._trade_facts skips it, so it
 * cannot stop the aggregation or the scoring; this view lists it for a DBA to correct or delete (an UPDATE
 * goes through the validation triggers). One row per offending row: source table, its id (action id or
 * position_id), position_id, pattern_key (actions), the reason (learning._action_domain_error /
 * learning._trade_domain_error, the rules learning._trade_facts applies) and when it was written.
 */
CREATE OR REPLACE VIEW learning.v_quarantine AS
WITH ns AS (
    SELECT
        d.namespace,
        count(*) AS n_dims,
        coalesce(array_agg(d.bit + 1) FILTER (WHERE d.json_type = 'integer'), '{}') AS int_pos
    FROM learning.scope_dimension AS d
    GROUP BY d.namespace
),

-- materialized: a column, not a sub-select, in the inlined domain checks
cfg AS MATERIALIZED (
    SELECT
        (
            SELECT (c.config #>> '{tunables,rr_abs_max}')::float
            FROM learning.learning_configs AS c
            WHERE c.config_key = 'pm_config'
        ) AS rr_abs_max
),

action_reason AS (
    SELECT
        a.id,
        a.position_id,
        a.pattern_key,
        a.logged_at,
        learning._action_domain_error(
            a.position_id, a.pattern_key, a.scope_vec, ns.n_dims,
            array(SELECT a.scope_vec[p.p] FROM unnest(ns.int_pos) AS p (p))
        ) AS reason
    FROM learning.action_log AS a
    LEFT JOIN ns ON split_part(a.pattern_key, '.', 1) = ns.namespace
),

trade_reason AS (
    SELECT
        t.position_id,
        t.recorded_at,
        learning._trade_domain_error(t.rr, t.details, cfg.rr_abs_max) AS reason
    FROM learning.completed_trades AS t
    CROSS JOIN cfg
)

SELECT
    'action_log'::text AS source,
    r.id::text AS row_id,
    r.position_id,
    r.pattern_key,
    r.reason,
    r.logged_at AS written_at
FROM action_reason AS r
WHERE r.reason IS NOT NULL
UNION ALL
SELECT
    'completed_trades' AS source,
    r.position_id AS row_id,
    r.position_id,
    NULL AS pattern_key,
    r.reason,
    r.recorded_at AS written_at
FROM trade_reason AS r
WHERE r.reason IS NOT NULL;
COMMENT ON VIEW learning.v_quarantine IS
'action_log / completed_trades rows outside their domain (written before a rule existed or with triggers disabled): the learning jobs skip them; source, row id, position, pattern, reason.';
REVOKE ALL ON learning.v_quarantine FROM public;
GRANT SELECT ON learning.v_quarantine TO pglearn_reader;

/*
 * learning.v_lesson_candidates: every stats row that could teach, and why it is or is not a lesson.
 *
 * Candidate: |edge_raw| >= edge_min and |t| >= min_t_stat, t = (avg_rr - rr_baseline) / sqrt(variance / n).
 * A candidate becomes a lesson when it is a simplest one (no proper subset of its scope is a candidate of
 * the same sign) or when its incremental edge over its best same-sign candidate ancestor,
 * |edge| - max |ancestor edge|, is >= incremental_edge_min (docs/levers.md).
 * Ancestors are found by enumerating the proper submasks of each candidate (3^10 mask pairs in all) and
 * looking up the projected scope's hash, not by a pairwise scan.
 */
CREATE OR REPLACE VIEW learning.v_lesson_candidates AS
WITH cfg AS (
    SELECT
        (learning.pm_config() #>> '{tunables,edge_min}')::float AS edge_min,
        (learning.pm_config() #>> '{tunables,incremental_edge_min}')::float AS incremental_edge_min,
        coalesce((learning.pm_config() #>> '{tunables,min_t_stat}')::float, 0) AS min_t_stat
),

candidate AS (
    SELECT
        s.id AS stats_id,
        s.pattern_key,
        s.action_category,
        s.scope_mask,
        s.scope_values,
        s.scope_values_hash,
        s.n,
        s.stats,
        split_part(s.pattern_key, '.', 1) AS namespace,
        (s.stats ->> 'edge_raw')::float AS edge_raw,
        ((s.stats ->> 'avg_rr')::float - (s.stats ->> 'rr_baseline')::float)
        / greatest(sqrt((s.stats ->> 'variance')::float / s.n), 1e-9) AS t_stat
    FROM learning.pattern_scope_stats AS s
    CROSS JOIN cfg
    WHERE
        abs((s.stats ->> 'edge_raw')::float) >= cfg.edge_min
        AND abs(
            ((s.stats ->> 'avg_rr')::float - (s.stats ->> 'rr_baseline')::float)
            / greatest(sqrt((s.stats ->> 'variance')::float / s.n), 1e-9)
        ) >= cfg.min_t_stat
),

submask AS (
    SELECT
        m.mask,
        s.sub
    FROM generate_series(0, 1023) AS m (mask)
    CROSS JOIN generate_series(0, 1023) AS s (sub)
    WHERE (s.sub & m.mask) = s.sub AND s.sub <> m.mask
),

dropped_dims AS (
    SELECT
        d.namespace,
        m.mask,
        array_agg(d.dim_name) AS dims
    FROM learning.scope_dimension AS d
    INNER JOIN generate_series(1, 1023) AS m (mask) ON (m.mask & (1 << d.bit)) <> 0
    GROUP BY d.namespace, m.mask
),

projection AS MATERIALIZED (
    SELECT
        c.stats_id,
        c.pattern_key,
        c.action_category,
        c.edge_raw,
        sm.sub,
        md5((c.scope_values - dd.dims)::text) AS sub_hash
    FROM candidate AS c
    INNER JOIN submask AS sm ON c.scope_mask = sm.mask
    INNER JOIN dropped_dims AS dd ON c.namespace = dd.namespace AND (c.scope_mask - sm.sub) = dd.mask
),

ancestor AS (
    SELECT
        p.stats_id,
        max(abs(a.edge_raw)) AS best_ancestor_edge,
        count(*) AS n_ancestors
    FROM projection AS p
    INNER JOIN candidate AS a
        ON
            p.pattern_key = a.pattern_key
            AND p.action_category = a.action_category
            AND p.sub = a.scope_mask
            AND p.sub_hash = a.scope_values_hash
    WHERE sign(a.edge_raw) = sign(p.edge_raw)
    GROUP BY p.stats_id
)

SELECT
    c.stats_id,
    c.pattern_key,
    c.action_category,
    c.scope_mask,
    c.scope_values,
    c.scope_values_hash,
    c.n,
    c.edge_raw,
    c.t_stat,
    an.best_ancestor_edge,
    c.stats,
    abs(c.edge_raw) - coalesce(an.best_ancestor_edge, 0) AS incremental_edge,
    an.stats_id IS NULL OR abs(c.edge_raw) - an.best_ancestor_edge >= cfg.incremental_edge_min AS chosen,
    CASE
        WHEN an.stats_id IS NULL THEN 'simplest: no same-sign candidate among its subsets'
        WHEN abs(c.edge_raw) - an.best_ancestor_edge >= cfg.incremental_edge_min
            THEN format(
                'adds %s edge over its best same-sign ancestor (>= %s)',
                round((abs(c.edge_raw) - an.best_ancestor_edge)::numeric, 3), cfg.incremental_edge_min
            )
        ELSE format(
            'not a lesson: adds only %s edge over its best same-sign ancestor (< %s)',
            round((abs(c.edge_raw) - an.best_ancestor_edge)::numeric, 3), cfg.incremental_edge_min
        )
    END AS reason
FROM candidate AS c
CROSS JOIN cfg
LEFT JOIN ancestor AS an ON c.stats_id = an.stats_id;
COMMENT ON VIEW learning.v_lesson_candidates IS
'Lesson candidates (|edge_raw| >= edge_min, |t| >= min_t_stat) with best same-sign ancestor, incremental edge, and why they were or were not chosen.';
GRANT SELECT ON learning.v_lesson_candidates TO pglearn_reader;

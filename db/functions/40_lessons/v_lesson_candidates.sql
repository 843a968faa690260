/*
 * learning.v_lesson_candidates: every test of the latest learning epoch and why it is or is not a lesson in force.
 *
 * One row per (stats cell, kind) of learning.lesson_candidate for the newest lesson_epoch: kind 'rr' tests the
 * cell's mean rr against the category baseline, kind 'cf' its counterfactual gain against 0. Columns: p_value,
 * q_value (layered Benjamini-Yekutieli), significant, self_sufficient (against every immediate parent without the
 * cell's samples, with the weakest parent), productive (the effect survives removing its significant
 * descendants' samples), shrink_weight and shrunk_mean (empirical Bayes), edge_shrunk, chosen, reason, and
 * the lesson of that scope if one exists: its status and whether it is in force (status 'active' and enabled).
 * Rules and formulas: docs/levers.md ("Which cells become lessons").
 */
CREATE OR REPLACE VIEW learning.v_lesson_candidates AS
SELECT
    c.epoch_no,
    e.as_of AS epoch_as_of,
    c.stats_id,
    c.kind,
    c.pattern_key,
    c.action_category,
    c.scope_mask,
    c.scope_values,
    c.scope_values_hash,
    c.k,
    c.n,
    c.mean,
    c.null_mean,
    c.p_value,
    c.q_value,
    c.significant,
    c.self_sufficient,
    c.parent_p,
    c.weakest_parent,
    c.productive,
    c.remainder_n,
    c.remainder_p,
    c.shrink_weight,
    c.shrunk_mean,
    c.edge_raw,
    c.edge_shrunk,
    c.chosen,
    c.reason,
    l.id AS lesson_id,
    l.status AS lesson_status,
    l.status_reason AS lesson_status_reason,
    coalesce(l.status = 'active' AND l.enabled, FALSE) AS in_force
FROM learning.lesson_candidate AS c
INNER JOIN learning.lesson_epoch AS e ON c.epoch_no = e.epoch_no
LEFT JOIN learning.learning_lessons AS l
    ON
        c.pattern_key = l.pattern_key
        AND c.action_category = l.action_category
        AND c.scope_mask = l.scope_mask
        AND c.scope_values_hash = l.scope_values_hash
WHERE c.epoch_no = (SELECT max(e2.epoch_no) FROM learning.lesson_epoch AS e2);
COMMENT ON VIEW learning.v_lesson_candidates IS
'Every test of the latest learning epoch (R/R and counterfactual per stats cell): p, layered BY q, self-sufficiency, productivity, shrinkage, why it is or is not a lesson, and the lesson''s status.';
GRANT SELECT ON learning.v_lesson_candidates TO pglearn_reader;

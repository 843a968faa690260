-- Rollback of 0008.levers: the literal bounds and rules of 0001.schema come back (functions and views are re-applied
-- by migrate; those that read the catalogue or the domain rules need 0008.levers again).
DO $views$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.oid::regclass AS name FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind = 'v' LOOP
        EXECUTE format('DROP VIEW IF EXISTS %s CASCADE', v.name);
    END LOOP;
END
$views$;

ALTER TABLE learning.action_log
DROP CONSTRAINT action_log_pattern_key_check,
DROP CONSTRAINT action_log_action_category_check;
ALTER TABLE learning.action_log
ADD CONSTRAINT action_log_pattern_key_check CHECK (pattern_key ~ '^(pm|dm)(\.[A-Za-z0-9_-]+)+$'),
ADD CONSTRAINT action_log_action_category_check CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));

ALTER TABLE learning.action_category_map ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.action_category_map ADD CONSTRAINT action_category_map_action_category_check
CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));
ALTER TABLE learning.pattern_scope_stats ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.pattern_scope_stats ADD CONSTRAINT pattern_scope_stats_action_category_check
CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));
ALTER TABLE learning.learning_regime_weights ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.learning_edge_history ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.learning_lessons ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.learning_lessons ADD CONSTRAINT learning_lessons_action_category_check
CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));
ALTER TABLE learning.runtime_override ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.runtime_override ADD CONSTRAINT runtime_override_action_category_check
CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));
ALTER TABLE learning.override_application ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.lesson_snapshot ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.override_score ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.lesson_candidate ALTER COLUMN pattern_key TYPE text, ALTER COLUMN action_category TYPE text;
ALTER TABLE learning.lesson_candidate ADD CONSTRAINT lesson_candidate_action_category_check
CHECK (action_category IN ('entry', 'add', 'trim', 'exit'));
DROP DOMAIN learning.pattern_key;
DROP DOMAIN learning.action_category;
DROP FUNCTION learning._pattern_key_ok(text);
DROP FUNCTION learning._action_category_ok(text);

ALTER TABLE learning.runtime_override
DROP CONSTRAINT runtime_override_size_mult_check,
DROP CONSTRAINT runtime_override_entry_aggression_mult_check,
DROP CONSTRAINT runtime_override_exit_aggression_mult_check,
DROP CONSTRAINT runtime_override_entry_delay_bars_check,
DROP CONSTRAINT runtime_override_phase1_frac_mult_check,
DROP CONSTRAINT runtime_override_trim_delay_mult_check,
DROP CONSTRAINT runtime_override_trail_mult_check,
DROP CONSTRAINT runtime_override_panic_trigger_mult_check,
DROP CONSTRAINT runtime_override_signal_thresholds_check;
ALTER TABLE learning.runtime_override
ADD CONSTRAINT runtime_override_size_mult_check CHECK (size_mult BETWEEN 0.7 AND 1.3),
ADD CONSTRAINT runtime_override_entry_aggression_mult_check CHECK (entry_aggression_mult BETWEEN 0.8 AND 1.2),
ADD CONSTRAINT runtime_override_exit_aggression_mult_check CHECK (exit_aggression_mult BETWEEN 0.8 AND 1.2),
ADD CONSTRAINT runtime_override_entry_delay_bars_check CHECK (entry_delay_bars BETWEEN 0 AND 5),
ADD CONSTRAINT runtime_override_phase1_frac_mult_check CHECK (phase1_frac_mult BETWEEN 0.5 AND 1.5),
ADD CONSTRAINT runtime_override_trim_delay_mult_check CHECK (trim_delay_mult BETWEEN 0.5 AND 2.0),
ADD CONSTRAINT runtime_override_trail_mult_check CHECK (trail_mult BETWEEN 0.5 AND 2.0),
ADD CONSTRAINT runtime_override_panic_trigger_mult_check CHECK (panic_trigger_mult BETWEEN 0.8 AND 1.2),
ADD CONSTRAINT runtime_override_signal_thresholds_check CHECK (jsonb_typeof(signal_thresholds) = 'object');
COMMENT ON TABLE learning.runtime_override IS
'Materialized, decayed overrides per generation, indexed for resolve_overrides; typed lever columns CHECKed against the roadmap 5.1 bounds.';

CREATE OR REPLACE FUNCTION learning.effect_within_bounds(p_effect jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT learning.json_number_between(p_effect #> '{capital_levers,size_mult}', 0.7, 1.3)
        AND learning.json_number_between(p_effect #> '{capital_levers,entry_aggression_mult}', 0.8, 1.2)
        AND learning.json_number_between(p_effect #> '{capital_levers,exit_aggression_mult}', 0.8, 1.2)
        AND learning.json_number_between(p_effect #> '{execution_levers,entry_delay_bars}', 0, 5)
        AND learning.json_number_between(p_effect #> '{execution_levers,phase1_frac_mult}', 0.5, 1.5)
        AND learning.json_number_between(p_effect #> '{execution_levers,trim_delay_mult}', 0.5, 2.0)
        AND learning.json_number_between(p_effect #> '{execution_levers,trail_mult}', 0.5, 2.0)
        AND learning.json_number_between(p_effect #> '{execution_levers,panic_trigger_mult}', 0.8, 1.2)
        AND coalesce(jsonb_typeof(p_effect #> '{execution_levers,signal_thresholds}'), 'object') = 'object'
        AND NOT EXISTS (
            SELECT 1
            FROM jsonb_each(coalesce(p_effect #> '{execution_levers,signal_thresholds}', '{}')) AS t (k, v)
            WHERE NOT learning.json_number_between(t.v, 0, 1)
        )
$$;
COMMENT ON FUNCTION learning.effect_within_bounds(jsonb) IS
'True when every lever of a lesson effect payload lies within the hard bounds of roadmap 5.1 (signal thresholds within [0, 1]).';
DROP FUNCTION learning.lever_within_hard_bounds(text, double precision);
DROP FUNCTION learning.lever_catalogue();

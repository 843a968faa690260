-- depends: 0007.job_runs
-- 0008.levers: one source for the levers and for the pattern-key and action-category rules (issue 12, docs/levers.md).
--  * learning.lever_catalogue(): every lever (name, group, kind, neutral value, hard bounds of roadmap 5.1), written
--    once. A function, not a table: CHECK constraints may only call IMMUTABLE functions, and they read it.
--  * learning.lever_within_hard_bounds(lever, value): the runtime_override lever CHECKs; effect_within_bounds
--    (the learning_lessons / lesson_snapshot CHECKs) re-created reading the catalogue, so a lever name the catalogue
--    does not know fails it too. The validator of pm_config reads the catalogue (db/functions/00_config/).
--  * DOMAINs learning.pattern_key and learning.action_category, each on one IMMUTABLE rule (_pattern_key_ok,
--    _action_category_ok) that the functions' own 22023 checks call as well. The columns that carry them switch to
--    the domains; action_log keeps text columns with CHECKs on the same rules, because its BEFORE trigger (the one
--    validation path of log_action and COPY) must answer first, with 22023 and a HINT: a domain column answers
--    23514 before any trigger runs. An action_log pattern_key longer than 200 characters, written before that rule
--    existed, is left as it is (the CHECK stays NOT VALID then; learning.v_quarantine lists the row).
DO $guard$
BEGIN
    IF to_regclass('learning.runtime_override') IS NULL OR to_regclass('learning.lesson_candidate') IS NULL THEN
        RAISE EXCEPTION 'learning.runtime_override or learning.lesson_candidate is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0001.schema to 0007.job_runs must be applied first.';
    END IF;
END
$guard$;

-- ---------------------------------------------------------------------------
-- The lever catalogue
-- ---------------------------------------------------------------------------
CREATE FUNCTION learning.lever_catalogue()
RETURNS TABLE (
    lever text, lever_group text, kind text, neutral double precision, hard_lo double precision, hard_hi double precision,
    description text
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT c.lever, c.lever_group, c.kind, c.neutral::float8, c.hard_lo::float8, c.hard_hi::float8, c.description
    FROM (VALUES
        ('size_mult', 'capital', 'multiplier', 1, 0.7, 1.3, 'position_size_frac *= size_mult'),
        ('entry_aggression_mult', 'capital', 'multiplier', 1, 0.8, 1.2, 'A_value *= entry_aggression_mult'),
        ('exit_aggression_mult', 'capital', 'multiplier', 1, 0.8, 1.2, 'E_value *= exit_aggression_mult'),
        ('entry_delay_bars', 'execution', 'bars', 0, 0, 5, 'entry_delay_bars set (absent: no override)'),
        ('phase1_frac_mult', 'execution', 'multiplier', 1, 0.5, 1.5, 'phase1_frac *= phase1_frac_mult'),
        ('trim_delay_mult', 'execution', 'multiplier', 1, 0.5, 2.0, 'trim_delay *= trim_delay_mult'),
        ('trail_mult', 'execution', 'multiplier', 1, 0.5, 2.0, 'trail_speed *= trail_mult'),
        ('panic_trigger_mult', 'execution', 'multiplier', 1, 0.8, 1.2, 'panic_trigger *= panic_trigger_mult (our bound: the seed gives none)'),
        ('signal_threshold', 'threshold', 'threshold', 0.5, 0, 1,
         'each execution_levers.signal_thresholds entry (min_ts_for_add, min_ox_for_trim): the control is set to it')
    ) AS c (lever, lever_group, kind, neutral, hard_lo, hard_hi, description)
$$;
COMMENT ON FUNCTION learning.lever_catalogue() IS
'The lever catalogue, the one source of the levers: name, group (capital: effect.capital_levers; execution: effect.execution_levers; '
'threshold: each entry of effect.execution_levers.signal_thresholds), kind, neutral value and the hard bounds of roadmap 5.1 '
'(CHECKed; pm_config.tunables.lever_bounds may only tighten them).';
REVOKE ALL ON FUNCTION learning.lever_catalogue() FROM public;
GRANT EXECUTE ON FUNCTION learning.lever_catalogue() TO pglearn_reader;

CREATE FUNCTION learning.lever_within_hard_bounds(p_lever text, p_value double precision)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(bool_and(p_value IS NULL OR p_value BETWEEN c.hard_lo AND c.hard_hi), false)
    FROM learning.lever_catalogue() AS c
    WHERE c.lever = p_lever
$$;
COMMENT ON FUNCTION learning.lever_within_hard_bounds(text, double precision) IS
'True when a value is NULL (no override) or within the hard bounds of its lever in lever_catalogue(); false for an unknown lever or NaN.';
REVOKE ALL ON FUNCTION learning.lever_within_hard_bounds(text, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning.lever_within_hard_bounds(text, double precision) TO pglearn_reader;

CREATE OR REPLACE FUNCTION learning.effect_within_bounds(p_effect jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(jsonb_typeof(p_effect #> '{execution_levers,signal_thresholds}'), 'object') = 'object'
        AND NOT EXISTS (
            SELECT 1
            FROM (VALUES ('capital', '{capital_levers}'::text []), ('execution', '{execution_levers}'),
                         ('threshold', '{execution_levers,signal_thresholds}')) AS g (lever_group, path)
            CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(p_effect #> g.path) = 'object' THEN p_effect #> g.path ELSE '{}' END)
                AS e (k, v)
            LEFT JOIN learning.lever_catalogue() AS c
                ON c.lever_group = g.lever_group AND (c.lever = e.k OR g.lever_group = 'threshold')
            WHERE
                NOT (g.lever_group = 'execution' AND e.k = 'signal_thresholds')
                AND (c.lever IS NULL OR NOT learning.json_number_between(e.v, c.hard_lo, c.hard_hi))
        )
$$;
COMMENT ON FUNCTION learning.effect_within_bounds(jsonb) IS
'True when every lever of a lesson effect payload is a lever of lever_catalogue() in its group and lies within its hard bounds '
'(roadmap 5.1; each signal threshold within the threshold bounds).';

-- a CHECK is not re-run when its function changes: drop and re-add them, so that existing rows are checked again
ALTER TABLE learning.learning_lessons DROP CONSTRAINT learning_lessons_effect_check;
ALTER TABLE learning.learning_lessons ADD CONSTRAINT learning_lessons_effect_check CHECK (
    coalesce(jsonb_typeof(effect -> 'capital_levers'), '') = 'object'
    AND coalesce(jsonb_typeof(effect -> 'execution_levers'), '') = 'object'
    AND learning.effect_within_bounds(effect)
);
ALTER TABLE learning.lesson_snapshot DROP CONSTRAINT lesson_snapshot_effect_check;
ALTER TABLE learning.lesson_snapshot ADD CONSTRAINT lesson_snapshot_effect_check CHECK (learning.effect_within_bounds(effect));

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
ADD CONSTRAINT runtime_override_size_mult_check CHECK (learning.lever_within_hard_bounds('size_mult', size_mult)),
ADD CONSTRAINT runtime_override_entry_aggression_mult_check
CHECK (learning.lever_within_hard_bounds('entry_aggression_mult', entry_aggression_mult)),
ADD CONSTRAINT runtime_override_exit_aggression_mult_check
CHECK (learning.lever_within_hard_bounds('exit_aggression_mult', exit_aggression_mult)),
ADD CONSTRAINT runtime_override_entry_delay_bars_check
CHECK (learning.lever_within_hard_bounds('entry_delay_bars', entry_delay_bars)),
ADD CONSTRAINT runtime_override_phase1_frac_mult_check
CHECK (learning.lever_within_hard_bounds('phase1_frac_mult', phase1_frac_mult)),
ADD CONSTRAINT runtime_override_trim_delay_mult_check
CHECK (learning.lever_within_hard_bounds('trim_delay_mult', trim_delay_mult)),
ADD CONSTRAINT runtime_override_trail_mult_check CHECK (learning.lever_within_hard_bounds('trail_mult', trail_mult)),
ADD CONSTRAINT runtime_override_panic_trigger_mult_check
CHECK (learning.lever_within_hard_bounds('panic_trigger_mult', panic_trigger_mult)),
ADD CONSTRAINT runtime_override_signal_thresholds_check CHECK (
    jsonb_typeof(signal_thresholds) = 'object'
    AND learning.effect_within_bounds(jsonb_build_object('execution_levers', jsonb_build_object('signal_thresholds', signal_thresholds)))
);
COMMENT ON TABLE learning.runtime_override IS
'Materialized, decayed overrides per generation, indexed for resolve_overrides; one typed column per lever of lever_catalogue() '
'(signal_thresholds: the threshold levers), each CHECKed against its hard bounds there.';

-- ---------------------------------------------------------------------------
-- Domains: pattern_key and action_category
-- ---------------------------------------------------------------------------
-- Not STRICT (they give NULL for NULL anyway): a STRICT SQL function whose body is not strict (AND, IN) is never
-- inlined, and these run in every domain check and in resolve_overrides' argument check (measured: resolve_overrides
-- without a match went from about 0.6x to 0.95x of the same function without the check once they were inlined).
CREATE FUNCTION learning._pattern_key_ok(p_pattern_key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT length(p_pattern_key) <= 200 AND p_pattern_key ~ '^(pm|dm)(\.[A-Za-z0-9_-]+)+$'
$$;
COMMENT ON FUNCTION learning._pattern_key_ok(text) IS
'Private: the pattern-key rule (pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters); '
'NULL for NULL. The domain learning.pattern_key and the functions'' 22023 checks call it.';
REVOKE ALL ON FUNCTION learning._pattern_key_ok(text) FROM public;
GRANT EXECUTE ON FUNCTION learning._pattern_key_ok(text) TO pglearn_reader;

CREATE FUNCTION learning._action_category_ok(p_action_category text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_action_category IN ('entry', 'add', 'trim', 'exit')
$$;
COMMENT ON FUNCTION learning._action_category_ok(text) IS
'Private: the action categories (entry, add, trim, exit; roadmap 1.1); NULL for NULL. The domain learning.action_category '
'and the functions'' 22023 checks call it.';
REVOKE ALL ON FUNCTION learning._action_category_ok(text) FROM public;
GRANT EXECUTE ON FUNCTION learning._action_category_ok(text) TO pglearn_reader;

CREATE DOMAIN learning.pattern_key AS text CONSTRAINT pattern_key_check CHECK (learning._pattern_key_ok(value));
COMMENT ON DOMAIN learning.pattern_key IS
'A pattern key: pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters (learning._pattern_key_ok).';
CREATE DOMAIN learning.action_category AS text CONSTRAINT action_category_check CHECK (learning._action_category_ok(value));
COMMENT ON DOMAIN learning.action_category IS 'An action category: entry, add, trim or exit (learning._action_category_ok).';

-- The views read these columns: drop them (migrate re-creates every view from db/functions/ right after).
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

-- Rows written before a rule existed: named, with what to do, rather than a bare cast error half-way.
DO $existing$
DECLARE
    t record;
    v_bad bigint;
BEGIN
    FOR t IN SELECT c.relname, a.attname
             FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
             WHERE c.relnamespace = 'learning'::regnamespace AND c.relkind = 'r' AND c.relname <> 'action_log'
               AND a.attname IN ('pattern_key', 'action_category') AND NOT a.attisdropped
             ORDER BY 1, 2 LOOP
        EXECUTE format('SELECT count(*) FROM learning.%I WHERE NOT learning.%I(%I)', t.relname,
                       CASE t.attname WHEN 'pattern_key' THEN '_pattern_key_ok' ELSE '_action_category_ok' END, t.attname)
        INTO v_bad;
        IF v_bad > 0 THEN
            RAISE EXCEPTION 'learning.%.% holds % value(s) outside the domain learning.%', t.relname, t.attname, v_bad, t.attname
                USING ERRCODE = '23514',
                      HINT = format('List them with SELECT * FROM learning.%I WHERE NOT learning.%s(%I); correct or delete them, then migrate again.',
                                    t.relname, CASE t.attname WHEN 'pattern_key' THEN '_pattern_key_ok' ELSE '_action_category_ok' END,
                                    t.attname);
        END IF;
    END LOOP;
END
$existing$;

ALTER TABLE learning.action_category_map DROP CONSTRAINT action_category_map_action_category_check;
ALTER TABLE learning.action_category_map ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.pattern_scope_stats DROP CONSTRAINT pattern_scope_stats_action_category_check;
ALTER TABLE learning.pattern_scope_stats
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.learning_regime_weights
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.learning_edge_history
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.learning_lessons DROP CONSTRAINT learning_lessons_action_category_check;
ALTER TABLE learning.learning_lessons
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.runtime_override DROP CONSTRAINT runtime_override_action_category_check;
ALTER TABLE learning.runtime_override
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.override_application
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.lesson_snapshot
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.override_score
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;
ALTER TABLE learning.lesson_candidate DROP CONSTRAINT lesson_candidate_action_category_check;
ALTER TABLE learning.lesson_candidate
ALTER COLUMN pattern_key TYPE learning.pattern_key,
ALTER COLUMN action_category TYPE learning.action_category;

-- action_log: text columns CHECKed by the same rules (its trigger answers first; see the header)
ALTER TABLE learning.action_log
DROP CONSTRAINT action_log_pattern_key_check,
DROP CONSTRAINT action_log_action_category_check;
ALTER TABLE learning.action_log
ADD CONSTRAINT action_log_pattern_key_check CHECK (learning._pattern_key_ok(pattern_key)) NOT VALID,
ADD CONSTRAINT action_log_action_category_check CHECK (learning._action_category_ok(action_category));
DO $validate$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM learning.action_log AS a WHERE NOT learning._pattern_key_ok(a.pattern_key)) THEN
        ALTER TABLE learning.action_log VALIDATE CONSTRAINT action_log_pattern_key_check;
    END IF;
END
$validate$;

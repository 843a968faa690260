/*
 * learning.action_log_validate() trigger on learning.action_log
 *
 * The one validation path for actions: log_action() and bulk COPY both go through it.
 * Derives action_category from action_category_map and scope_vec from the registry; an integer scope
 * dimension given as an integral number with a fraction (1.0, a Python float) is stored as the integer (1).
 *   22023  position_id empty or longer than 200 characters, malformed pattern_key (or longer than 200),
 *          category contradicting the map, bad scope value, bad controls (docs/api.md, "Domains")
 *   LR001  unknown or missing scope dimension
 *   LR002  unknown action_type
 *   23505  the position is already closed (its outcome is final)
 */
CREATE OR REPLACE FUNCTION learning.action_log_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_category text;
    v_error text;
BEGIN
    IF NEW.position_id IS NULL OR NEW.position_id = '' OR length(NEW.position_id) > 200 THEN
        RAISE EXCEPTION 'position_id must be a non-empty string of at most 200 characters, got % characters',
            coalesce(length(NEW.position_id), 0)
            USING ERRCODE = '22023', HINT = 'Use the PM''s position identifier.';
    END IF;
    IF NEW.ts IS NULL OR NOT isfinite(NEW.ts) THEN
        RAISE EXCEPTION 'ts must be a finite timestamp, got %', coalesce(NEW.ts::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'ts is the time the action was taken.';
    END IF;
    IF NOT coalesce(learning._pattern_key_ok(NEW.pattern_key), false) THEN
        RAISE EXCEPTION 'pattern_key % is malformed', coalesce(quote_literal(left(NEW.pattern_key, 60))
            || CASE WHEN length(NEW.pattern_key) > 60 THEN format('... (%s characters)', length(NEW.pattern_key)) ELSE '' END, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'The canonical form is pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters, e.g. pm.uptrend.S1.buy_flag.';
    END IF;
    SELECT m.action_category INTO v_category FROM learning.action_category_map AS m WHERE m.action_type = NEW.action_type;
    IF v_category IS NULL THEN
        RAISE EXCEPTION 'action_type % is unknown', coalesce(quote_literal(left(NEW.action_type, 60)), 'NULL')
            USING ERRCODE = 'LR002', HINT = 'Known action types are listed in learning.action_category_map.';
    END IF;
    IF NEW.action_category IS NOT NULL AND NEW.action_category <> v_category THEN
        RAISE EXCEPTION 'action_category % contradicts action_type % (maps to %)', NEW.action_category, NEW.action_type, v_category
            USING ERRCODE = '22023', HINT = 'Leave action_category empty: it is derived from learning.action_category_map.';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = NEW.position_id) THEN
        RAISE EXCEPTION 'position_id % is already closed: no further actions can be logged', quote_literal(NEW.position_id)
            USING ERRCODE = '23505', HINT = 'Open a new position id for a new trade.';
    END IF;
    NEW.action_category := v_category;
    NEW.scope_vec := learning._validate_scope(split_part(NEW.pattern_key, '.', 1), NEW.scope);
    IF NEW.scope::text ~ '[0-9]\.[0-9]' THEN
        -- an integral number written with a fraction (1.0): store the integer, as scope_vec already has it
        NEW.scope := learning._normalise_scope(NEW.pattern_key, NEW.scope);
    END IF;
    v_error := learning._controls_domain_error(NEW.controls);
    IF v_error IS NOT NULL THEN
        RAISE EXCEPTION '%', v_error
            USING ERRCODE = '22023',
                  HINT = 'controls is {"signals": {"TS": 0.65, ...}, "applied_knobs": {"entry_delay_bars": 1, ...}}: numbers within +/- 1000000, names of at most 200 characters; booleans are 0/1.';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION learning.action_log_validate() IS
'Trigger: validates every action_log row (log_action and COPY alike), derives action_category and scope_vec.';
REVOKE ALL ON FUNCTION learning.action_log_validate() FROM public;

CREATE OR REPLACE TRIGGER action_log_validate
BEFORE INSERT OR UPDATE ON learning.action_log
FOR EACH ROW EXECUTE FUNCTION learning.action_log_validate();

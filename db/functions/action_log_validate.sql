/*
 * learning.action_log_validate() trigger on learning.action_log
 *
 * The one validation path for actions: log_action() and bulk COPY both go through it.
 * Derives action_category from action_category_map and scope_vec from the registry.
 *   22023  malformed pattern_key, category contradicting the map, bad scope value, bad controls
 *   LR001  unknown or missing scope dimension
 *   LR002  unknown action_type
 *   23505  the position is already closed (its outcome is final)
 */
CREATE OR REPLACE FUNCTION learning.action_log_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning
AS $$
DECLARE
    v_category text;
BEGIN
    IF NEW.position_id IS NULL OR NEW.position_id = '' THEN
        RAISE EXCEPTION 'position_id must be a non-empty string'
            USING ERRCODE = '22023', HINT = 'Use the PM''s position identifier.';
    END IF;
    IF NEW.ts IS NULL OR NOT isfinite(NEW.ts) THEN
        RAISE EXCEPTION 'ts must be a finite timestamp, got %', coalesce(NEW.ts::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'ts is the time the action was taken.';
    END IF;
    IF NEW.pattern_key IS NULL OR NEW.pattern_key !~ '^(pm|dm)(\.[A-Za-z0-9_-]+)+$' THEN
        RAISE EXCEPTION 'pattern_key % is malformed', coalesce(quote_literal(NEW.pattern_key), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'The canonical form is pm. or dm. followed by dot-separated parts, e.g. pm.uptrend.S1.buy_flag.';
    END IF;
    SELECT m.action_category INTO v_category FROM action_category_map AS m WHERE m.action_type = NEW.action_type;
    IF v_category IS NULL THEN
        RAISE EXCEPTION 'action_type % is unknown', coalesce(quote_literal(NEW.action_type), 'NULL')
            USING ERRCODE = 'LR002', HINT = 'Known action types are listed in learning.action_category_map.';
    END IF;
    IF NEW.action_category IS NOT NULL AND NEW.action_category <> v_category THEN
        RAISE EXCEPTION 'action_category % contradicts action_type % (maps to %)', NEW.action_category, NEW.action_type, v_category
            USING ERRCODE = '22023', HINT = 'Leave action_category empty: it is derived from learning.action_category_map.';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM completed_trades AS t WHERE t.position_id = NEW.position_id) THEN
        RAISE EXCEPTION 'position_id % is already closed: no further actions can be logged', quote_literal(NEW.position_id)
            USING ERRCODE = '23505', HINT = 'Open a new position id for a new trade.';
    END IF;
    NEW.action_category := v_category;
    NEW.scope_vec := _validate_scope(split_part(NEW.pattern_key, '.', 1), NEW.scope);
    PERFORM _validate_controls(NEW.controls);
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION learning.action_log_validate() IS
'Trigger: validates every action_log row (log_action and COPY alike), derives action_category and scope_vec.';
REVOKE ALL ON FUNCTION learning.action_log_validate() FROM public;

CREATE OR REPLACE TRIGGER action_log_validate
BEFORE INSERT OR UPDATE ON learning.action_log
FOR EACH ROW EXECUTE FUNCTION learning.action_log_validate();

/*
 * learning.completed_trades_validate() trigger on learning.completed_trades
 *
 * The one validation path for closed trades: close_trade() and bulk COPY both go through it.
 * Fills first_action_at from the position's first logged action.
 *   22023  position_id empty or longer than 200 characters; closed_at missing or before the first action;
 *          rr or details outside their domain (learning._trade_domain_error, the one rule; docs/api.md, "Domains")
 *   23505  the position is already closed
 *   LR003  no action was logged for the position
 */
CREATE OR REPLACE FUNCTION learning.completed_trades_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_first timestamptz;
    v_max float;
    v_error text;
BEGIN
    IF NEW.position_id IS NULL OR NEW.position_id = '' OR length(NEW.position_id) > 200 THEN
        RAISE EXCEPTION 'position_id must be a non-empty string of at most 200 characters, got % characters',
            coalesce(length(NEW.position_id), 0)
            USING ERRCODE = '22023', HINT = 'Use the position id the actions were logged with.';
    END IF;
    IF NEW.closed_at IS NULL OR NOT isfinite(NEW.closed_at) THEN
        RAISE EXCEPTION 'closed_at must be a finite timestamp, got %', coalesce(NEW.closed_at::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'closed_at is the time the position was closed.';
    END IF;
    SELECT (c.config #>> '{tunables,rr_abs_max}')::float INTO v_max
    FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config';
    v_error := learning._trade_domain_error(NEW.rr, NEW.details, v_max);
    IF v_error IS NOT NULL THEN
        RAISE EXCEPTION '%', v_error
            USING ERRCODE = '22023',
                  HINT = format('rr is the realized R/R of the whole trade, a finite number within +/- %s (pm_config.tunables.rr_abs_max); '
                      'details is a JSON object whose counterfactuals are cf_entry_delay_bars (0-5), cf_entry_gain_rr and '
                      'cf_exit_gain_rr (within +/- %s), cf_exit_direction (earlier | later); pass ''{}'' when there are none.', v_max, v_max);
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM learning.completed_trades AS t WHERE t.position_id = NEW.position_id) THEN
        RAISE EXCEPTION 'position_id % is already closed', quote_literal(NEW.position_id)
            USING ERRCODE = '23505', HINT = 'A position is closed once; correct an outcome with UPDATE learning.completed_trades.';
    END IF;
    SELECT min(a.ts) INTO v_first FROM learning.action_log AS a WHERE a.position_id = NEW.position_id;
    IF v_first IS NULL THEN
        RAISE EXCEPTION 'position_id % has no logged action', coalesce(quote_literal(NEW.position_id), 'NULL')
            USING ERRCODE = 'LR003', HINT = 'Log the position''s actions with learning.log_action before closing it.';
    END IF;
    -- issue 16: on a shard, the position's first action over all shards when it is earlier (learning.pinned_first_action)
    v_first := least(v_first, (SELECT p.first_action_at FROM learning.pinned_first_action AS p WHERE p.position_id = NEW.position_id));
    IF NEW.closed_at < v_first THEN
        RAISE EXCEPTION 'closed_at % is before the first action of position % (%)', NEW.closed_at, NEW.position_id, v_first
            USING ERRCODE = '22023', HINT = 'A trade closes after its first action.';
    END IF;
    NEW.first_action_at := v_first;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION learning.completed_trades_validate() IS
'Trigger: validates every completed_trades row (close_trade and COPY alike) and derives first_action_at.';
REVOKE ALL ON FUNCTION learning.completed_trades_validate() FROM public;

CREATE OR REPLACE TRIGGER completed_trades_validate
BEFORE INSERT OR UPDATE ON learning.completed_trades
FOR EACH ROW EXECUTE FUNCTION learning.completed_trades_validate();

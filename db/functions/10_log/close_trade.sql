/*
 * learning.close_trade(position_id, rr, closed_at, details) -> void
 *
 * Records a position's outcome: the realized R/R of the whole trade, attributed to its actions
 * when the learning jobs aggregate. details may carry counterfactuals (docs/api.md).
 * Errors: 22023 invalid value (rr outside +/- tunables.rr_abs_max, bad details...: docs/api.md, "Domains"),
 * 23505 already closed, LR003 unknown position.
 */
CREATE OR REPLACE FUNCTION learning.close_trade(
    position_id text,
    rr double precision,
    closed_at timestamptz DEFAULT now(),
    details jsonb DEFAULT '{}'
)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, learning, pg_temp
AS $$
    INSERT INTO learning.completed_trades (position_id, closed_at, rr, details)
    VALUES (close_trade.position_id, close_trade.closed_at, close_trade.rr, close_trade.details)
$$;
COMMENT ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) IS
'Records the realized R/R (and optional counterfactuals) of a closed position. Errors: 22023, 23505, LR003 (docs/api.md).';
REVOKE ALL ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.close_trade(text, double precision, timestamptz, jsonb) TO pglearn_pm;

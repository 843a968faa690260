/*
 * learning._queue_closed_trades() -> trigger
 *
 * Private trigger (AFTER INSERT ON learning.completed_trades, per statement, transition table): queues every new
 * close in learning.scope_fold_queue, in the transaction of the close, for learning.fold_in_closes (docs/stats.md,
 * "Fold-in"). A correction of a closed trade (UPDATE) is not queued: the next rebuild takes it. Closes are written by
 * close_trade (SECURITY DEFINER) or COPY by the owner, so the trigger runs with the owner's rights.
 */
CREATE OR REPLACE FUNCTION learning._queue_closed_trades()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    INSERT INTO learning.scope_fold_queue (position_id, closed_at)
    SELECT n.position_id, n.closed_at FROM new_trades AS n
    ON CONFLICT (position_id) DO NOTHING;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION learning._queue_closed_trades() IS
'Trigger: queues each new close for the fold-in (learning.scope_fold_queue; docs/stats.md).';
REVOKE ALL ON FUNCTION learning._queue_closed_trades() FROM public;

CREATE OR REPLACE TRIGGER completed_trades_queue
AFTER INSERT ON learning.completed_trades
REFERENCING NEW TABLE AS new_trades
FOR EACH STATEMENT EXECUTE FUNCTION learning._queue_closed_trades();

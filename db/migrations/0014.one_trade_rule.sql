-- depends: 0009.job_registry
-- 0014.one_trade_rule (issue 12): the domain of a trade's rr and details is written once, in
-- learning._trade_domain_error (db/functions/10_log), which the completed_trades trigger, _trade_facts and v_quarantine
-- all read. learning._validate_trade_details, the trigger's second copy of those rules, is dropped; the trigger is
-- re-created from db/functions right after the migrations (pglearn migrate), in the same run.
DO $guard$
BEGIN
    IF to_regclass('learning.job_registry') IS NULL THEN
        RAISE EXCEPTION 'learning.job_registry is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0009.job_registry must be applied first.';
    END IF;
END
$guard$;

DROP FUNCTION IF EXISTS learning._validate_trade_details(jsonb);
-- likewise the controls document: learning._controls_domain_error is its one rule; _validate_controls (a fast path and
-- a slow path restating the same checks) is dropped.
DROP FUNCTION IF EXISTS learning._validate_controls(jsonb);

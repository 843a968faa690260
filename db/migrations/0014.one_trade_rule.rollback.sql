-- 0014.one_trade_rule rollback: nothing to restore in the schema. The dropped helper was a function of db/functions;
-- a checkout before this migration re-creates it when its pglearn migrate re-applies db/functions.
SELECT 1;

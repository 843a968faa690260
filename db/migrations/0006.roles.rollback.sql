-- Rollback of 0006.roles: the grants go; the role pglearn_admin is cluster-wide and may serve other databases: it is kept
-- (as 0001.schema keeps pglearn_pm and pglearn_reader). Function grants to it go with REVOKE ... ON ALL FUNCTIONS.
REVOKE ALL ON ALL TABLES IN SCHEMA learning FROM pglearn_admin;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA learning FROM pglearn_admin;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA learning FROM pglearn_admin;
REVOKE USAGE ON SCHEMA learning FROM pglearn_admin;
REVOKE pglearn_reader FROM pglearn_admin;
REVOKE EXECUTE ON FUNCTION learning.effect_within_bounds(jsonb) FROM pglearn_reader;
REVOKE EXECUTE ON FUNCTION learning.json_number_between(jsonb, float, float) FROM pglearn_reader;
REVOKE SELECT ON learning.learning_configs, learning.phase_state, learning.phase_state_bucket, learning.token_cap_bucket,
learning.scope_dimension FROM pglearn_pm;

/*
 * The PM's calls on the router (issue 16), PL/Proxy functions of cluster pglearn_shards that run the same function
 * on the shard owning the pattern, hashtext(pattern_key) & (shards - 1) (scaleout.shard_of):
 *   learning.log_action(position_id, pattern_key, action_type, scope, controls, ts) -> bigint
 *   learning.resolve_overrides(pattern_key, action_category, scope, base_levers, plan_controls) -> jsonb
 *   learning.explain_override(pattern_key, action_category, scope) -> jsonb
 *   learning.record_override_application(pattern_key, action_category, scope, result) -> bigint
 * They replace the router's local functions of the same signature (re-applied after every `pglearn migrate` of
 * the router: pglearn.scaleout.deploy), so a PM points its DSN at the router and changes nothing else. A default
 * (ts = now()) is evaluated on the router. The shard's errors come back with their SQLSTATE (docs/api.md).
 * learning.close_trade is routed by scaleout's own function (router/close_trade.sql): a trade's actions may live
 * on several shards.
 */
CREATE OR REPLACE FUNCTION learning.log_action(
    position_id text, pattern_key text, action_type text, scope jsonb, controls jsonb, ts timestamptz DEFAULT now()
)
RETURNS bigint
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON hashtext(pattern_key);
$$;
COMMENT ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) IS
'Router (issue 16): learning.log_action on the shard of hashtext(pattern_key). Errors: as on one node (docs/api.md).';
REVOKE ALL ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.log_action(text, text, text, jsonb, jsonb, timestamptz) TO pglearn_pm;

CREATE OR REPLACE FUNCTION learning.resolve_overrides(
    pattern_key text, action_category text, scope jsonb, base_levers jsonb, plan_controls jsonb
)
RETURNS jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON hashtext(pattern_key);
$$;
COMMENT ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) IS
'Router (issue 16): learning.resolve_overrides on the shard of hashtext(pattern_key) (telemetry recorded there).';
REVOKE ALL ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.resolve_overrides(text, text, jsonb, jsonb, jsonb) TO pglearn_pm;

CREATE OR REPLACE FUNCTION learning.explain_override(pattern_key text, action_category text, scope jsonb)
RETURNS jsonb
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON hashtext(pattern_key);
$$;
COMMENT ON FUNCTION learning.explain_override(text, text, jsonb) IS
'Router (issue 16): learning.explain_override on the shard of hashtext(pattern_key).';
REVOKE ALL ON FUNCTION learning.explain_override(text, text, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.explain_override(text, text, jsonb) TO pglearn_pm;

CREATE OR REPLACE FUNCTION learning.record_override_application(pattern_key text, action_category text, scope jsonb, result jsonb)
RETURNS bigint
LANGUAGE plproxy
VOLATILE
AS $$
    CLUSTER 'pglearn_shards';
    RUN ON hashtext(pattern_key);
$$;
COMMENT ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) IS
'Router (issue 16): learning.record_override_application on the shard of hashtext(pattern_key), where the pattern''s telemetry lives.';
REVOKE ALL ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.record_override_application(text, text, jsonb, jsonb) TO pglearn_pm;

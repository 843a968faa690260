/*
 * learning.lever_step(edge_raw, tunables) -> double precision
 *
 * One epoch's relative lever step (roadmap 5.2):
 *   step = clamp((edge_raw / edge_scale) * learning_rate, -max_step, +max_step)
 */
CREATE OR REPLACE FUNCTION learning.lever_step(p_edge_raw double precision, p_tunables jsonb)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT greatest(-(p_tunables ->> 'max_step')::float, least((p_tunables ->> 'max_step')::float,
        (p_edge_raw / (p_tunables ->> 'edge_scale')::float) * (p_tunables ->> 'learning_rate')::float))
$$;
COMMENT ON FUNCTION learning.lever_step(double precision, jsonb) IS
'One epoch''s lever step: clamp((edge_raw / edge_scale) * learning_rate, -max_step, max_step).';
REVOKE ALL ON FUNCTION learning.lever_step(double precision, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.lever_step(double precision, jsonb) TO pglearn_reader;

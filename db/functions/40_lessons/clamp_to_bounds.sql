/*
 * learning.clamp_to_bounds(value, lever, tunables) -> double precision
 *
 * Clamps a lever value into tunables.lever_bounds[lever] (themselves within the hard bounds).
 */
CREATE OR REPLACE FUNCTION learning.clamp_to_bounds(p_value double precision, p_lever text, p_tunables jsonb)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT greatest((p_tunables #>> ARRAY['lever_bounds', p_lever, '0'])::float,
        least((p_tunables #>> ARRAY['lever_bounds', p_lever, '1'])::float, p_value))
$$;
COMMENT ON FUNCTION learning.clamp_to_bounds(double precision, text, jsonb) IS
'Clamps a lever value into pm_config.tunables.lever_bounds[lever].';
REVOKE ALL ON FUNCTION learning.clamp_to_bounds(double precision, text, jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.clamp_to_bounds(double precision, text, jsonb) TO pglearn_reader;

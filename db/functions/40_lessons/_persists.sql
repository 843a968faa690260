/*
 * learning._persists(p double precision, critical_p double precision, difference double precision,
 *                    effect double precision) -> boolean
 *
 * Private: the one rule by which build_lessons says an effect holds up under a further test (docs/levers.md):
 * against each parent without the cell's samples (self-sufficiency), without the samples of its significant
 * descendants (productivity), without the trades of stronger overlapping lessons (overlap). The further test's
 * p is at most the layer's critical p, and its difference has the sign of the cell's effect. A missing test
 * (NULL p: too few samples left) does not hold up. An inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._persists(
    p_p double precision, p_critical_p double precision, p_difference double precision, p_effect double precision
)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(p_p <= p_critical_p AND sign(p_difference) = sign(p_effect), false)
$$;
COMMENT ON FUNCTION learning._persists(double precision, double precision, double precision, double precision) IS
'Private: an effect holds up under a further test when its p is within the layer''s critical p and its difference keeps the effect''s sign.';
REVOKE ALL ON FUNCTION learning._persists(double precision, double precision, double precision, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._persists(double precision, double precision, double precision, double precision) TO pglearn_admin;

/*
 * learning.regime_signature(scope_values jsonb) -> text
 *
 * The regime a stats row belongs to: its macro_phase, meso_phase and bucket_rank_position values
 * present in its scope, in that order, e.g. 'macro=Recover|meso=Dip|bucket_rank=1'; '*' when none.
 */
CREATE OR REPLACE FUNCTION learning.regime_signature(p_scope_values jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(
        nullif(concat_ws('|',
            'macro=' || (p_scope_values ->> 'macro_phase'),
            'meso=' || (p_scope_values ->> 'meso_phase'),
            'bucket_rank=' || (p_scope_values ->> 'bucket_rank_position')), ''),
        '*')
$$;
COMMENT ON FUNCTION learning.regime_signature(jsonb) IS
'Regime signature of a scope: macro=..|meso=..|bucket_rank=.. for the dims present, ''*'' when none.';
REVOKE ALL ON FUNCTION learning.regime_signature(jsonb) FROM public;
GRANT EXECUTE ON FUNCTION learning.regime_signature(jsonb) TO pglearn_reader;

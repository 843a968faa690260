/*
 * learning.regime_context(as_of) -> jsonb
 *
 * The market regime in force at as_of (roadmap 3.1): the latest phase_state row and the latest
 * phase_state_bucket snapshot at or before as_of.
 *   {"as_of", "macro_phase", "meso_phase", "micro_phase",
 *    "bucket_phases": {bucket: phase}, "bucket_rank": [leader, ...], "bucket_population": {bucket: n}}
 * Errors: LR004 when no phase state or bucket snapshot exists at or before as_of.
 */
CREATE OR REPLACE FUNCTION learning.regime_context(as_of timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_phase phase_state%ROWTYPE;
    v_buckets jsonb;
BEGIN
    SELECT * INTO v_phase FROM phase_state AS p WHERE p.ts <= regime_context.as_of ORDER BY p.ts DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no phase_state at or before %', regime_context.as_of
            USING ERRCODE = 'LR004', HINT = 'The phase tracker writes learning.phase_state; load history before replaying it.';
    END IF;
    SELECT jsonb_build_object(
        'bucket_phases', jsonb_object_agg(b.bucket, b.phase),
        'bucket_rank', jsonb_agg(b.bucket ORDER BY b.rank_position),
        'bucket_population', jsonb_object_agg(b.bucket, b.population)
    )
    INTO v_buckets
    FROM phase_state_bucket AS b
    WHERE b.ts = (SELECT max(s.ts) FROM phase_state_bucket AS s WHERE s.ts <= regime_context.as_of);
    IF v_buckets ->> 'bucket_rank' IS NULL THEN
        RAISE EXCEPTION 'no phase_state_bucket snapshot at or before %', regime_context.as_of
            USING ERRCODE = 'LR004', HINT = 'The bucket tracker writes learning.phase_state_bucket.';
    END IF;
    RETURN jsonb_build_object(
        'as_of', regime_context.as_of,
        'macro_phase', v_phase.macro_phase,
        'meso_phase', v_phase.meso_phase,
        'micro_phase', v_phase.micro_phase
    ) || v_buckets;
END;
$$;
COMMENT ON FUNCTION learning.regime_context(timestamptz) IS
'Market regime at as_of: macro/meso/micro phases, bucket phases, bucket ranking (leader first) and populations. LR004 when no data.';
REVOKE ALL ON FUNCTION learning.regime_context(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.regime_context(timestamptz) TO pglearn_pm, pglearn_reader;

/*
 * learning.build_scope(token, timeframe, market_family, a_mode, e_mode, as_of) -> jsonb
 *
 * The PM scope of an action (roadmap 3.2): phases from regime_context(as_of),
 * bucket_leader = bucket_rank[0], the token's bucket from token_cap_bucket at as_of, and
 * bucket_rank_position = 1-based index of that bucket in the ranking. The result is validated
 * against the registry, so it is always loggable.
 * Errors: LR004 no regime data / unknown token / bucket not ranked; 22023 and LR001 from validation.
 */
CREATE OR REPLACE FUNCTION learning.build_scope(
    token text,
    timeframe text,
    market_family text,
    a_mode text,
    e_mode text,
    as_of timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_ctx jsonb := learning.regime_context(build_scope.as_of);
    v_bucket text;
    v_rank integer;
    v_scope jsonb;
BEGIN
    SELECT c.bucket INTO v_bucket
    FROM learning.token_cap_bucket AS c
    WHERE c.token = build_scope.token AND c.valid_from <= build_scope.as_of
    ORDER BY c.valid_from DESC
    LIMIT 1;
    IF v_bucket IS NULL THEN
        RAISE EXCEPTION 'token % has no cap bucket at or before %', coalesce(quote_literal(build_scope.token), 'NULL'), build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'The bucket tracker writes learning.token_cap_bucket.';
    END IF;
    SELECT r.pos::integer INTO v_rank
    FROM jsonb_array_elements_text(v_ctx -> 'bucket_rank') WITH ORDINALITY AS r (bucket, pos)
    WHERE r.bucket = v_bucket;
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'bucket % of token % is not in the bucket ranking at %', v_bucket, build_scope.token, build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'Every bucket a token can be in needs a phase_state_bucket row.';
    END IF;
    v_scope := jsonb_build_object(
        'macro_phase', v_ctx -> 'macro_phase',
        'meso_phase', v_ctx -> 'meso_phase',
        'micro_phase', v_ctx -> 'micro_phase',
        'bucket_leader', v_ctx -> 'bucket_rank' -> 0,
        'bucket_rank_position', v_rank,
        'market_family', build_scope.market_family,
        'bucket', v_bucket,
        'timeframe', build_scope.timeframe,
        'A_mode', build_scope.a_mode,
        'E_mode', build_scope.e_mode
    );
    PERFORM learning._validate_scope('pm', v_scope);
    RETURN v_scope;
END;
$$;
COMMENT ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) IS
'Builds and validates the 10-dimension PM scope of an action from the regime, the token''s cap bucket and the PM''s modes.';
REVOKE ALL ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) TO pglearn_pm, pglearn_reader;

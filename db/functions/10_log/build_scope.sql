/*
 * learning.build_scope(token, timeframe, market_family, a_mode, e_mode, as_of) -> jsonb
 *
 * The PM scope of an action (roadmap 3.2), by the rule of learning._scopes (the one place it is written: phases,
 * bucket leader, the token's bucket and its rank position as of as_of). The result is validated against the
 * registry, so it is always loggable.
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
    v_scope jsonb;
    v_missing text;
BEGIN
    SELECT s.scope, s.missing INTO v_scope, v_missing
    FROM learning._scopes(ARRAY[build_scope.token], ARRAY[build_scope.timeframe], ARRAY[build_scope.market_family],
                          ARRAY[build_scope.a_mode], ARRAY[build_scope.e_mode], ARRAY[build_scope.as_of]) AS s;
    IF v_missing = 'phase_state' THEN
        RAISE EXCEPTION 'no phase_state at or before %', build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'The phase tracker writes learning.phase_state; load history before replaying it.';
    ELSIF v_missing = 'bucket_snapshot' THEN
        RAISE EXCEPTION 'no phase_state_bucket snapshot at or before %', build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'The bucket tracker writes learning.phase_state_bucket.';
    ELSIF v_missing = 'token' THEN
        RAISE EXCEPTION 'token % has no cap bucket at or before %', coalesce(quote_literal(build_scope.token), 'NULL'), build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'The bucket tracker writes learning.token_cap_bucket.';
    ELSIF v_missing = 'bucket_rank' THEN
        RAISE EXCEPTION 'the bucket of token % is not in the bucket ranking at %', build_scope.token, build_scope.as_of
            USING ERRCODE = 'LR004', HINT = 'Every bucket a token can be in needs a phase_state_bucket row.';
    END IF;
    PERFORM learning._validate_scope('pm', v_scope);
    RETURN v_scope;
END;
$$;
COMMENT ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) IS
'Builds and validates the 10-dimension PM scope of an action from the regime, the token''s cap bucket and the PM''s modes.';
REVOKE ALL ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.build_scope(text, text, text, text, text, timestamptz) TO pglearn_pm, pglearn_reader;

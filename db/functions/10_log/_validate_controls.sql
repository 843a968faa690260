/*
 * learning._validate_controls(p_controls) -> void
 *
 * The controls document is {"signals": {name: number}, "applied_knobs": {name: number}}
 * (roadmap 1.1). Every number is finite (JSON numbers always are) and within +/- 1,000,000 (1e6), so no
 * reader casting it to float can overflow; names are at most 200 characters.
 * Anything else raises 22023 naming the offending field.
 */
CREATE OR REPLACE FUNCTION learning._validate_controls(p_controls jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    v_bad text;
BEGIN
    -- fast path: a well-formed document passes in one expression
    IF jsonb_typeof(p_controls) = 'object'
        AND p_controls - '{signals,applied_knobs}'::text [] = '{}'::jsonb
        AND jsonb_typeof(p_controls -> 'signals') = 'object'
        AND jsonb_typeof(p_controls -> 'applied_knobs') = 'object'
        AND NOT jsonb_path_exists(p_controls, 'strict $.*.* ? (@.type() != "number" || @ > 1000000 || @ < -1000000)')
        AND NOT jsonb_path_exists(p_controls, 'strict $.*.keyvalue() ? (@.key like_regex "^.{201}")') THEN
        RETURN;
    END IF;
    -- slow path: say precisely what is wrong
    IF p_controls IS NULL OR jsonb_typeof(p_controls) <> 'object' THEN
        RAISE EXCEPTION 'controls must be a JSON object, got %', coalesce(jsonb_typeof(p_controls), 'NULL')
            USING ERRCODE = '22023', HINT = 'controls is {"signals": {...}, "applied_knobs": {...}}.';
    END IF;
    SELECT string_agg(k, ', ' ORDER BY k) INTO v_bad
    FROM jsonb_object_keys(p_controls) AS k
    WHERE k NOT IN ('signals', 'applied_knobs');
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'controls has unknown key(s): %', v_bad
            USING ERRCODE = '22023', HINT = 'controls holds exactly "signals" and "applied_knobs".';
    END IF;
    SELECT f INTO v_bad
    FROM unnest(ARRAY['signals', 'applied_knobs']) AS f
    WHERE coalesce(jsonb_typeof(p_controls -> f), 'missing') <> 'object'
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'controls.% must be a JSON object, got %', v_bad, coalesce(jsonb_typeof(p_controls -> v_bad), 'nothing')
            USING ERRCODE = '22023', HINT = 'controls is {"signals": {"TS": 0.65, ...}, "applied_knobs": {"entry_delay_bars": 1, ...}}.';
    END IF;
    SELECT f || '.' || e.key INTO v_bad
    FROM unnest(ARRAY['signals', 'applied_knobs']) AS f
    CROSS JOIN LATERAL jsonb_each(p_controls -> f) AS e
    WHERE jsonb_typeof(e.value) <> 'number'
    ORDER BY 1
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'controls.% must be a number', v_bad
            USING ERRCODE = '22023', HINT = 'Signals and applied knobs are numeric; booleans are 0/1.';
    END IF;
    SELECT f || '.' || left(e.key, 40) INTO v_bad
    FROM unnest(ARRAY['signals', 'applied_knobs']) AS f
    CROSS JOIN LATERAL jsonb_each(p_controls -> f) AS e
    WHERE length(e.key) > 200
    ORDER BY 1
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'controls.%... has a name longer than 200 characters', v_bad
            USING ERRCODE = '22023', HINT = 'Signal and knob names are short identifiers.';
    END IF;
    SELECT f || '.' || e.key || ' = ' || e.value::text INTO v_bad
    FROM unnest(ARRAY['signals', 'applied_knobs']) AS f
    CROSS JOIN LATERAL jsonb_each(p_controls -> f) AS e
    WHERE abs((e.value #>> '{}')::numeric) > 1000000
    ORDER BY 1
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'controls.% is out of range', left(v_bad, 300)
            USING ERRCODE = '22023', HINT = 'Signals and applied knobs are numbers within +/- 1000000 (1e6).';
    END IF;
END;
$$;
COMMENT ON FUNCTION learning._validate_controls(jsonb) IS
'Private: checks the controls document shape {"signals": {name: number}, "applied_knobs": {name: number}}; 22023 names the bad field.';
REVOKE ALL ON FUNCTION learning._validate_controls(jsonb) FROM public;

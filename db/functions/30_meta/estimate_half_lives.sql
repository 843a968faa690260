/*
 * learning.estimate_half_lives(as_of timestamptz DEFAULT now()) -> integer
 *
 * v5.2 (roadmap 2.2, 2.5): for each active or stale lesson, its trailing-window edge series in
 * learning_edge_history up to as_of (the points build_lessons records with window_days = edge_window_days: the
 * edge over (ts - window, ts], which follows a fading effect where the cumulative edge lags) is fitted by
 * _fit_half_life; decay_halflife_hours is updated (tunables.half_life_default_hours with fewer than 5 points or a
 * failed fit, half_life_max_hours for a non-decaying edge, else ln 2 / lambda within [half_life_min_hours,
 * half_life_max_hours]). The same job applies the edge-history retention: snapshots older than
 * edge_history_full_days are thinned to the last one per series and day. Returns the lessons updated.
 */
CREATE OR REPLACE FUNCTION learning.estimate_half_lives(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE
    t constant jsonb := pm_config() -> 'tunables';
    v_rows integer;
BEGIN
    PERFORM _check_as_of(estimate_half_lives.as_of);
    WITH series AS (
        SELECT l.id,
               array_agg(extract(EPOCH FROM h.ts) / 3600.0 ORDER BY h.ts) AS hours,
               array_agg(h.edge_raw ORDER BY h.ts) AS edges
        FROM learning_lessons AS l
        JOIN learning_edge_history AS h
            ON h.pattern_key = l.pattern_key AND h.action_category = l.action_category
           AND h.scope_signature = l.scope_values_hash AND h.ts <= estimate_half_lives.as_of
           AND h.window_days = (t ->> 'edge_window_days')::int
        WHERE l.status IN ('active', 'stale')
        GROUP BY l.id
    ),
    fitted AS (
        SELECT s.id, round(_fit_half_life(s.hours, s.edges,
            (t ->> 'half_life_default_hours')::float, (t ->> 'half_life_min_hours')::float,
            (t ->> 'half_life_max_hours')::float))::int AS halflife
        FROM series AS s
    )
    UPDATE learning_lessons AS l
    SET decay_halflife_hours = f.halflife, updated_at = now()
    FROM fitted AS f
    WHERE f.id = l.id AND l.decay_halflife_hours IS DISTINCT FROM f.halflife;
    GET DIAGNOSTICS v_rows = ROW_COUNT;

    DELETE FROM learning_edge_history AS h
    USING (
        SELECT x.id, row_number() OVER (
            PARTITION BY x.pattern_key, x.action_category, x.scope_signature, date_trunc('day', x.ts) ORDER BY x.ts DESC, x.id DESC
        ) AS rn
        FROM learning_edge_history AS x
        WHERE x.ts < estimate_half_lives.as_of - make_interval(days => (t ->> 'edge_history_full_days')::int)
    ) AS old
    WHERE old.id = h.id AND old.rn > 1;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION learning.estimate_half_lives(timestamptz) IS
'v5.2: fits each active or stale lesson''s trailing-window edge decay (PL/Python curve_fit) into decay_halflife_hours and thins old edge history.';
REVOKE ALL ON FUNCTION learning.estimate_half_lives(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.estimate_half_lives(timestamptz) TO pglearn_admin;

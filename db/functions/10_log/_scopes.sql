/*
 * learning._scopes(tokens, timeframes, market_families, a_modes, e_modes, as_ofs) -> TABLE (ord, scope, missing)
 *
 * The scope rule of roadmap 3.2, set-based: the one place it is written. Row i of the result is the 10-dimension PM
 * scope of (tokens[i], timeframes[i], ..., as_ofs[i]):
 *   macro/meso/micro_phase  the phase_state row with the latest ts <= as_of
 *   bucket                  the token's token_cap_bucket row with the latest valid_from <= as_of
 *   bucket_leader           the first bucket of the phase_state_bucket snapshot with the latest ts <= as_of
 *                           (ranked by rank_position)
 *   bucket_rank_position    the 1-based index of the token's bucket in that ranking
 *   market_family, timeframe, A_mode, E_mode   as given
 * scope is NULL when an input is missing; missing then says which, in this order: 'phase_state' (no phase row at or
 * before as_of), 'bucket_snapshot' (no phase_state_bucket snapshot), 'token' (no cap bucket), 'bucket_rank' (the
 * token's bucket is not in the ranking).
 * Nothing is validated here: learning.build_scope (the PM's call) validates what it returns, and the action_log
 * trigger validates every logged scope (the synthetic generator builds its scopes in bulk here, then COPYs them).
 */
CREATE OR REPLACE FUNCTION learning._scopes(
    tokens text[],
    timeframes text[],
    market_families text[],
    a_modes text[],
    e_modes text[],
    as_ofs timestamptz[]
)
RETURNS TABLE (ord bigint, scope jsonb, missing text)
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT
        r.ord,
        CASE WHEN p.ts IS NOT NULL AND k.pos IS NOT NULL THEN
            jsonb_build_object(
                'macro_phase', p.macro_phase,
                'meso_phase', p.meso_phase,
                'micro_phase', p.micro_phase,
                'bucket_leader', k.ranking[1],
                'bucket_rank_position', k.pos,
                'market_family', r.market_family,
                'bucket', c.bucket,
                'timeframe', r.timeframe,
                'A_mode', r.a_mode,
                'E_mode', r.e_mode
            )
        END AS scope,
        CASE
            WHEN p.ts IS NULL THEN 'phase_state'
            WHEN k.ranking IS NULL THEN 'bucket_snapshot'
            WHEN c.bucket IS NULL THEN 'token'
            WHEN k.pos IS NULL THEN 'bucket_rank'
        END AS missing
    FROM unnest(tokens, timeframes, market_families, a_modes, e_modes, as_ofs)
        WITH ORDINALITY AS r (token, timeframe, market_family, a_mode, e_mode, as_of, ord)
    LEFT JOIN LATERAL (
        SELECT s.ts, s.macro_phase, s.meso_phase, s.micro_phase
        FROM learning.phase_state AS s
        WHERE s.ts <= r.as_of
        ORDER BY s.ts DESC
        LIMIT 1
    ) AS p ON true
    LEFT JOIN LATERAL (
        SELECT t.bucket
        FROM learning.token_cap_bucket AS t
        WHERE t.token = r.token AND t.valid_from <= r.as_of
        ORDER BY t.valid_from DESC
        LIMIT 1
    ) AS c ON true
    LEFT JOIN LATERAL (  -- the ranking in force, leader first (NULL: no snapshot), and the token's bucket's place in it
        SELECT x.ranking, array_position(x.ranking, c.bucket) AS pos
        FROM (
            SELECT array_agg(b.bucket ORDER BY b.rank_position) AS ranking
            FROM learning.phase_state_bucket AS b
            WHERE b.ts = (SELECT max(m.ts) FROM learning.phase_state_bucket AS m WHERE m.ts <= r.as_of)
        ) AS x
    ) AS k ON true
    ORDER BY r.ord;
$$;
COMMENT ON FUNCTION learning._scopes(text[], text[], text[], text[], text[], timestamptz[]) IS
'The scope rule (roadmap 3.2), set-based: row i is the PM scope of the i-th inputs (unvalidated; NULL with the missing input named). Read by build_scope and the synthetic generator.';
REVOKE ALL ON FUNCTION learning._scopes(text[], text[], text[], text[], text[], timestamptz[]) FROM public;
GRANT EXECUTE ON FUNCTION learning._scopes(text[], text[], text[], text[], text[], timestamptz[])
TO pglearn_pm, pglearn_reader, pglearn_admin;

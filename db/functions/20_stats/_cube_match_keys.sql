/*
 * learning._cube_match_keys(p_keys bigint[], p_n integer[], p_keymasks bigint[], p_cells bigint[],
 *                          p_min_n integer) -> TABLE (cell integer, key bigint)
 *
 * Private, for learning.fold_in_closes (docs/stats.md, "Fold-in"): which of one pattern's candidate cells reach N_min,
 * and from which base rows. p_keys = the full scope keys of the pattern's base rows (learning.scope_cube_base.scope_key)
 * and their sample counts p_n (scope_cube_base.n); candidate i (1-based) is the cell p_cells[i] of the cuboid whose
 * key mask is p_keymasks[i]: its base rows are those with key & p_keymasks[i] = p_cells[i]. For every candidate with
 * at least p_min_n samples in such rows, one row (i, key) per matching base key. Computes only, reads and writes no
 * table. Set-based: every base key projected once per distinct candidate mask, hash-joined to the candidates (a
 * numpy version was 1.6x faster on the fold-in, bench/RESULTS.md, but aggregation stays SQL: PL/Python is for curve
 * fitting and clustering only). Bad input (keys and counts, or key masks and cells, of different lengths) -> 22023.
 */
CREATE OR REPLACE FUNCTION learning._cube_match_keys(
    p_keys bigint[], p_n integer[], p_keymasks bigint[], p_cells bigint[], p_min_n integer
)
RETURNS TABLE (cell integer, key bigint)
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
BEGIN
    IF cardinality(p_keymasks) IS DISTINCT FROM cardinality(p_cells) THEN
        RAISE EXCEPTION 'p_keymasks and p_cells differ in length (%, %)', cardinality(p_keymasks), cardinality(p_cells)
            USING ERRCODE = '22023', HINT = 'Candidate i is the cell p_cells[i] of the cuboid of key mask p_keymasks[i].';
    END IF;
    IF cardinality(p_keys) IS DISTINCT FROM cardinality(p_n) THEN
        RAISE EXCEPTION 'p_keys and p_n differ in length (%, %)', cardinality(p_keys), cardinality(p_n)
            USING ERRCODE = '22023', HINT = 'p_n[i] is the sample count of the base row of key p_keys[i].';
    END IF;
    RETURN QUERY
    WITH b AS (
        SELECT u.k, u.n FROM unnest(p_keys, p_n) AS u (k, n)
    ),
    c AS (
        SELECT u.i::integer AS i, u.m, u.ck FROM unnest(p_keymasks, p_cells) WITH ORDINALITY AS u (m, ck, i)
    ),
    hit AS (
        SELECT c.i, b.k, sum(b.n) OVER (PARTITION BY c.i) AS total
        FROM (SELECT DISTINCT c.m FROM c) AS dm
        CROSS JOIN b
        JOIN c ON c.m = dm.m AND c.ck = (b.k & dm.m)
    )
    SELECT h.i, h.k FROM hit AS h WHERE h.total >= greatest(coalesce(p_min_n, 0), 1);
END;
$$;
COMMENT ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) IS
'Private: for a fold-in, the candidate cells of one pattern with at least min_n samples in matching base keys, and those keys (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) TO pglearn_admin;

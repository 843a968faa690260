/*
 * learning._cube_match_keys(p_keys bigint[], p_n integer[], p_keymasks bigint[], p_cells bigint[],
 *                          p_min_n integer) -> TABLE (cell integer, key bigint)
 *
 * Private (PL/Python, Debian's numpy), for learning.fold_in_closes (docs/stats.md, "Fold-in"): which of one pattern's
 * candidate cells reach N_min, and from which base rows. p_keys = the full scope keys of the pattern's base rows
 * (learning.scope_cube_base.scope_key) and their sample counts p_n (scope_cube_base.n); candidate i (1-based) is the cell p_cells[i] of the cuboid whose key mask is
 * p_keymasks[i]: its base rows are those with key & p_keymasks[i] = p_cells[i]. For every candidate with at least
 * p_min_n samples in such rows, one row (i, key) per matching base key. Computes only, reads and writes no table. Vectorised:
 * the keys x candidates comparison runs in numpy, in blocks of about 4 M elements (a fold-in has up to a few thousand
 * candidates per pattern, a pattern a few thousand base rows), where a SQL hash join would cost a probe per base row
 * and candidate cuboid. Bad input (keys and counts, or key masks and cells, of different lengths) -> 22023.
 */
CREATE OR REPLACE FUNCTION learning._cube_match_keys(
    p_keys bigint[], p_n integer[], p_keymasks bigint[], p_cells bigint[], p_min_n integer
)
RETURNS TABLE (cell integer, key bigint)
LANGUAGE plpython3u
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
try:
    import numpy as np
except ImportError as exc:
    plpy.error("numpy is not importable by PL/Python: %s" % exc, sqlstate="0A000",
               hint="apt-get install python3-numpy (PL/Python embeds Debian's /usr/bin/python3)")
masks = p_keymasks or []
cells = p_cells or []
if len(masks) != len(cells):
    plpy.error("keymasks and cells differ in length (%d, %d)" % (len(masks), len(cells)), sqlstate="22023")
if len(p_keys or []) != len(p_n or []):
    plpy.error("keys and n differ in length (%d, %d)" % (len(p_keys or []), len(p_n or [])), sqlstate="22023")
keys = np.asarray(p_keys or [], dtype=np.int64)
ns = np.asarray(p_n or [], dtype=np.int64)
if len(keys) == 0 or len(cells) == 0:
    return []
km = np.asarray(masks, dtype=np.int64)
ck = np.asarray(cells, dtype=np.int64)
min_n = max(p_min_n or 0, 1)
out = []
step = max(1, 4000000 // len(keys))
for lo in range(0, len(ck), step):
    hit = (keys[None, :] & km[lo:lo + step, None]) == ck[lo:lo + step, None]
    rows = np.nonzero(hit @ ns >= min_n)[0]
    if len(rows):
        r, c = np.nonzero(hit[rows])
        out.extend(zip((rows[r] + lo + 1).tolist(), keys[c].tolist()))
return out
$$;
COMMENT ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) IS
'Private (PL/Python, numpy): for a fold-in, the candidate cells of one pattern with at least min_n matching base keys, and those keys (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_match_keys(bigint[], integer[], bigint[], bigint[], integer) TO pglearn_admin;

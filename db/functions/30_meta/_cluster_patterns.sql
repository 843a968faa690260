/*
 * learning._cluster_patterns(pattern_keys text[], fire_pattern int[], fire_trade int[], n_trades int,
 *                            cut_distance float8, OUT factors jsonb, OUT linkage jsonb)
 *
 * v5.3 clustering (PL/Python, Debian's numpy/scipy); computes only, reads and writes no table (cluster_latent_factors
 * gathers its input and persists its output in SQL). Input: the patterns in order (linkage rows index them from 0)
 * and the sparse patterns x trades incidence matrix as (row, column) pairs: pattern fire_pattern[k] (1-based, into
 * pattern_keys) fired on trade fire_trade[k] (0-based, < n_trades); a repeated pair counts once. The phi coefficient
 * of every pair comes from one sparse product (co-occurrence) and the per-pattern counts; distance = 1 - phi;
 * average-linkage clustering (scipy.cluster.hierarchy) cut at cut_distance. Output:
 *   factors  [{factor_id, pattern_keys, representative_pattern, correlation_matrix}], one per cluster (singletons
 *            included): factor_id = 'lf_' || the first 12 hex of md5(sorted members joined by '|'), stable while
 *            membership is unchanged; representative = the member with most trades (ties: the earlier pattern);
 *            correlation_matrix = the members' pairwise phi (6 decimals)
 *   linkage  the scipy linkage rows [i, j, distance, size] ([] for fewer than 2 patterns)
 * Bad input (arrays of different lengths, an index out of range, repeated patterns, a cut that is not a positive
 * number) -> 22023.
 */
CREATE OR REPLACE FUNCTION learning._cluster_patterns(
    p_pattern_keys text[],
    p_fire_pattern integer[],
    p_fire_trade integer[],
    p_n_trades integer,
    p_cut_distance double precision,
    OUT factors jsonb,
    OUT linkage jsonb
)
RETURNS record
LANGUAGE plpython3u
IMMUTABLE PARALLEL SAFE
AS $$
try:
    import numpy as np
    from scipy import sparse
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
except ImportError as exc:
    plpy.error("numpy/scipy are not importable by PL/Python: %s" % exc, sqlstate="0A000",
               hint="apt-get install python3-numpy python3-scipy (PL/Python embeds Debian's /usr/bin/python3)")
import hashlib, json, math
keys = list(p_pattern_keys or [])
rows = list(p_fire_pattern or [])
cols = list(p_fire_trade or [])
n = p_n_trades if p_n_trades is not None else 0
if len(rows) != len(cols):
    plpy.error("fire_pattern and fire_trade differ in length (%d, %d)" % (len(rows), len(cols)), sqlstate="22023")
if any(k is None for k in keys) or len(set(keys)) != len(keys):
    plpy.error("pattern_keys must be distinct and not NULL", sqlstate="22023")
if any(r is None or not 1 <= r <= len(keys) for r in rows):
    plpy.error("fire_pattern must index pattern_keys (1 .. %d)" % len(keys), sqlstate="22023")
if any(c is None or not 0 <= c < n for c in cols):
    plpy.error("fire_trade must be a trade index in [0, n_trades = %d)" % n, sqlstate="22023")
if p_cut_distance is None or not math.isfinite(p_cut_distance) or p_cut_distance <= 0:
    plpy.error("cut_distance must be a positive number, got %r" % (p_cut_distance,), sqlstate="22023")

factors = []
tree = []
if len(keys) > 0:
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (np.asarray(rows, dtype=np.int64) - 1,
                                                                  np.asarray(cols, dtype=np.int64))),
                          shape=(len(keys), n))
    x.sum_duplicates()
    x.data[:] = 1.0                     # a repeated (pattern, trade) pair counts once
    c = np.asarray(x.sum(axis=1)).ravel()
    co = (x @ x.T).toarray()
    var = c * (n - c)
    den = np.sqrt(np.outer(var, var))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(den > 0, (n * co - np.outer(c, c)) / den, 0.0)
    np.fill_diagonal(phi, 1.0)
    if len(keys) == 1:
        labels = np.array([1])
    else:
        dist = np.clip(1.0 - phi, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        z = linkage(squareform(dist, checks=False), method="average")
        tree = [[int(a), int(b), round(float(d), 6), int(m)] for a, b, d, m in z.tolist()]
        labels = fcluster(z, t=p_cut_distance, criterion="distance")
    for label in sorted(set(labels.tolist())):
        idx = [i for i in range(len(keys)) if labels[i] == label]
        members = sorted(keys[i] for i in idx)
        rep = max(idx, key=lambda i: (c[i], -i))
        factors.append({
            "factor_id": "lf_" + hashlib.md5("|".join(members).encode()).hexdigest()[:12],
            "pattern_keys": members,
            "representative_pattern": keys[rep],
            "correlation_matrix": {keys[i]: {keys[k]: round(float(phi[i, k]), 6) for k in idx} for i in idx},
        })
return {"factors": json.dumps(factors), "linkage": json.dumps(tree)}
$$;
COMMENT ON FUNCTION learning._cluster_patterns(text[], integer[], integer[], integer, double precision) IS
'Private v5.3 clustering: phi of a sparse patterns x trades incidence, average linkage cut at a distance -> factors and linkage rows (computes only).';
REVOKE ALL ON FUNCTION learning._cluster_patterns(text[], integer[], integer[], integer, double precision) FROM public;
GRANT EXECUTE ON FUNCTION learning._cluster_patterns(text[], integer[], integer[], integer, double precision) TO pglearn_admin;

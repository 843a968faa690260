/*
 * learning.cluster_latent_factors(as_of timestamptz DEFAULT now()) -> integer
 *
 * v5.3 (roadmap 2.5, PL/Python with Debian's numpy/scipy): the match set of each pattern_key = the closed
 * trades (closed by as_of) it fired on. Incidence vectors form a sparse patterns x trades matrix; the phi
 * coefficient of every pair comes from one sparse product (co-occurrence) and the per-pattern counts;
 * distance = 1 - phi; average-linkage hierarchical clustering (scipy.cluster.hierarchy) cut at
 * tunables.latent_cut_distance. Each cluster (singletons included) is a factor whose id is derived from its
 * sorted members, so it is stable while membership is unchanged. Upserts learning_latent_factors
 * (representative_pattern = the member with most trades, correlation_matrix = the members' pairwise phi),
 * removes factors that no longer exist and sets learning_lessons.latent_factor_id; the linkage tree itself is kept
 * in latent_factor_linkage (the report's dendrogram). Returns the factor count.
 */
CREATE OR REPLACE FUNCTION learning.cluster_latent_factors(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpython3u
SET search_path = pg_catalog, learning
AS $$
try:
    import numpy as np
    from scipy import sparse
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
except ImportError as exc:
    plpy.error("numpy/scipy are not importable by PL/Python: %s" % exc, sqlstate="0A000",
               hint="apt-get install python3-numpy python3-scipy (PL/Python embeds Debian's /usr/bin/python3)")
import hashlib, json
plpy.execute(plpy.prepare("SELECT learning._check_as_of($1)", ["timestamptz"]), [as_of])

cut = plpy.execute("SELECT coalesce((learning.pm_config() #>> '{tunables,latent_cut_distance}')::float, 0.3) AS c")[0]["c"]
plan = plpy.prepare("""
    WITH tr AS (
        SELECT position_id, (row_number() OVER (ORDER BY position_id) - 1)::int AS j
        FROM learning.completed_trades WHERE closed_at <= $1
    )
    SELECT a.pattern_key, array_agg(DISTINCT tr.j ORDER BY tr.j) AS trades, (SELECT count(*) FROM tr)::int AS n_trades
    FROM learning.action_log AS a JOIN tr ON tr.position_id = a.position_id
    GROUP BY a.pattern_key ORDER BY a.pattern_key""", ["timestamptz"])
rows = plpy.execute(plan, [as_of])
factors = []
tree = []
keys = []
if len(rows) > 0:
    keys = [r["pattern_key"] for r in rows]
    n = rows[0]["n_trades"]
    indptr = np.cumsum([0] + [len(r["trades"]) for r in rows])
    indices = np.fromiter((j for r in rows for j in r["trades"]), dtype=np.int64, count=int(indptr[-1]))
    x = sparse.csr_matrix((np.ones(len(indices), dtype=np.float64), indices, indptr), shape=(len(keys), n))
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
        labels = fcluster(z, t=cut, criterion="distance")
    for label in sorted(set(labels.tolist())):
        idx = [i for i in range(len(keys)) if labels[i] == label]
        members = sorted(keys[i] for i in idx)
        rep = max(idx, key=lambda i: (c[i], -keys.index(keys[i])))
        factors.append({
            "factor_id": "lf_" + hashlib.md5("|".join(members).encode()).hexdigest()[:12],
            "pattern_keys": members,
            "representative_pattern": keys[rep],
            "correlation_matrix": {keys[i]: {keys[k]: round(float(phi[i, k]), 6) for k in idx} for i in idx},
        })
doc = json.dumps(factors)
plpy.execute(plpy.prepare("""
    DELETE FROM learning.learning_latent_factors
    WHERE factor_id NOT IN (SELECT f.factor_id FROM jsonb_to_recordset($1) AS f (factor_id text))""", ["jsonb"]), [doc])
plpy.execute(plpy.prepare("""
    INSERT INTO learning.learning_latent_factors AS l (factor_id, pattern_keys, representative_pattern, correlation_matrix)
    SELECT f.factor_id, f.pattern_keys, f.representative_pattern, f.correlation_matrix
    FROM jsonb_to_recordset($1) AS f (factor_id text, pattern_keys text [], representative_pattern text, correlation_matrix jsonb)
    ON CONFLICT (factor_id) DO UPDATE
    SET representative_pattern = excluded.representative_pattern, correlation_matrix = excluded.correlation_matrix,
        updated_at = now()
    WHERE l.correlation_matrix IS DISTINCT FROM excluded.correlation_matrix
       OR l.representative_pattern IS DISTINCT FROM excluded.representative_pattern""", ["jsonb"]), [doc])
plpy.execute("""
    UPDATE learning.learning_lessons AS l SET latent_factor_id = f.factor_id
    FROM learning.learning_latent_factors AS f
    WHERE l.pattern_key = ANY (f.pattern_keys) AND l.latent_factor_id IS DISTINCT FROM f.factor_id""")
plpy.execute(plpy.prepare("""
    INSERT INTO learning.latent_factor_linkage AS t (as_of, pattern_keys, linkage, cut_distance)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (singleton) DO UPDATE
    SET as_of = excluded.as_of, pattern_keys = excluded.pattern_keys, linkage = excluded.linkage,
        cut_distance = excluded.cut_distance, updated_at = now()""", ["timestamptz", "text[]", "jsonb", "float8"]),
    [as_of, keys, json.dumps(tree), cut])
return len(factors)
$$;
COMMENT ON FUNCTION learning.cluster_latent_factors(timestamptz) IS
'v5.3: clusters patterns by the phi correlation of the trades they fire on (sparse, average linkage) into stable latent factors.';
REVOKE ALL ON FUNCTION learning.cluster_latent_factors(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning.cluster_latent_factors(timestamptz) TO pglearn_admin;

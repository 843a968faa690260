/*
 * learning._cube_facts(p_as_of timestamptz) -> integer
 *
 * Private, stage 1 of the rebuild (docs/stats.md, "Aggregation"): the facts and their coded keys, in work tables of
 * this transaction. _cube_fact: one row per (pattern, category, closed trade) closed by p_as_of
 * (learning._trade_facts), with its pattern/category id pc and its full scope coded into one bigint key (each
 * dimension's values dictionary-coded, a bit field per dimension, code 0 = absent, so "project onto a subset" is
 * key & mask; each field has room for twice its codes when the key fits in 62 bits so, and at least one spare code, for the values a fold-in meets first). _cube_ns (namespaces), _cube_pc (pattern/category ids), _cube_tuple (each distinct full scope with its
 * key, its typed jsonb and its md5), _cube_field (bit layout), _cube_keymask (per namespace and scope mask: the key mask and
 * the expression that decodes a key into scope_values through _cube_dictarr). Returns the number of facts.
 * Errors: 54000 when the scope values need more than 62 key bits.
 */
CREATE OR REPLACE FUNCTION learning._cube_facts(p_as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, learning, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
    v_facts integer;
BEGIN
    DROP TABLE IF EXISTS _cube_fact, _cube_ns, _cube_pc, _cube_tuple, _cube_tuple_key, _cube_dict, _cube_field, _cube_keymask,
        _cube_dictarr;
    CREATE TEMP TABLE _cube_ns ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY d.namespace))::smallint AS nsid, d.namespace, count(*)::int AS d
    FROM learning.scope_dimension AS d GROUP BY d.namespace;

    CREATE TEMP TABLE _cube_fact ON COMMIT DROP AS
    SELECT f.pattern_key::text AS pattern_key, f.action_category::text AS action_category, f.position_id, f.scope_vec,
           f.rr, f.hold_hours, f.closed_at, f.details, ns.nsid
    FROM learning._trade_facts('-infinity', p_as_of) AS f
    JOIN _cube_ns AS ns ON ns.namespace = split_part(f.pattern_key, '.', 1);
    GET DIAGNOSTICS v_facts = ROW_COUNT;

    CREATE TEMP TABLE _cube_pc ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY f.pattern_key, f.action_category))::int AS pc, f.pattern_key, f.action_category, f.nsid
    FROM (SELECT DISTINCT x.pattern_key, x.action_category, x.nsid FROM _cube_fact AS x) AS f;

    CREATE TEMP TABLE _cube_tuple ON COMMIT DROP AS SELECT DISTINCT f.nsid, f.scope_vec FROM _cube_fact AS f;

    CREATE TEMP TABLE _cube_dict ON COMMIT DROP AS
    SELECT x.nsid, x.bit, x.v, (dense_rank() OVER (PARTITION BY x.nsid, x.bit ORDER BY x.v))::bigint AS code
    FROM (SELECT DISTINCT t.nsid, (u.i - 1)::int AS bit, u.v
          FROM _cube_tuple AS t, unnest(t.scope_vec) WITH ORDINALITY AS u (v, i)) AS x;

    CREATE TEMP TABLE _cube_field ON COMMIT DROP AS
    SELECT w.nsid, w.bit, w.width, w.off, (((1::bigint << w.width) - 1) << w.off) AS fieldmask, sd.dim_name, sd.json_type
    FROM (
        SELECT y.nsid, y.bit, y.width, (sum(y.width) OVER (PARTITION BY y.nsid ORDER BY y.bit) - y.width)::int AS off
        -- the codes in use plus one bit of headroom per field (twice the codes, for the values a fold-in meets first)
        -- when the namespace's key still fits in 62 bits with it, else at least one spare code per field
        FROM (SELECT z.nsid, z.bit,
                     z.width + CASE WHEN sum(z.width + 1) OVER (PARTITION BY z.nsid) <= 62 THEN 1 ELSE 0 END AS width
              FROM (SELECT d.nsid, d.bit, ceil(log(2, max(d.code) + 2))::int AS width
                    FROM _cube_dict AS d GROUP BY d.nsid, d.bit) AS z) AS y
    ) AS w
    JOIN _cube_ns AS ns ON ns.nsid = w.nsid
    JOIN learning.scope_dimension AS sd ON sd.namespace = ns.namespace AND sd.bit = w.bit;
    IF EXISTS (SELECT 1 FROM _cube_field AS f WHERE f.off + f.width > 62) THEN
        RAISE EXCEPTION 'scope values need more than 62 key bits'
            USING ERRCODE = '54000', HINT = 'Too many distinct values per dimension; tighten allowed_values in learning.scope_dimension.';
    END IF;

    -- each distinct full scope: its key and its typed jsonb (integers as JSON numbers), the base's scope and its hash
    ANALYZE _cube_tuple;
    ANALYZE _cube_dict;
    ANALYZE _cube_field;
    CREATE TEMP TABLE _cube_tuple_key ON COMMIT DROP AS
    SELECT k.nsid, k.scope_vec, k.key, k.scope, md5(k.scope::text) AS scope_hash
    FROM (SELECT t.nsid, t.scope_vec, sum(d.code << f.off)::bigint AS key,
                 jsonb_object_agg(f.dim_name, CASE f.json_type WHEN 'integer' THEN to_jsonb(u.v::bigint) ELSE to_jsonb(u.v) END)
                     AS scope
          FROM _cube_tuple AS t
          CROSS JOIN LATERAL unnest(t.scope_vec) WITH ORDINALITY AS u (v, i)
          JOIN _cube_dict AS d ON d.nsid = t.nsid AND d.bit = u.i - 1 AND d.v = u.v
          JOIN _cube_field AS f ON f.nsid = t.nsid AND f.bit = u.i - 1
          GROUP BY t.nsid, t.scope_vec) AS k;
    DROP TABLE _cube_tuple;
    ALTER TABLE _cube_tuple_key RENAME TO _cube_tuple;

    -- per (namespace, scope mask): the key mask, and the jsonb_build_object(...) expression that decodes a cell key
    -- into scope_values through $1, the namespace's dictionary as a jsonb[bit + 1][code] array
    CREATE TEMP TABLE _cube_keymask ON COMMIT DROP AS
    SELECT ns.nsid, m.mask, bit_count(m.mask::bit(16))::int AS k, coalesce(f.keymask, 0) AS keymask,
           coalesce(f.decode, '''{}''::jsonb') AS decode
    FROM _cube_ns AS ns
    CROSS JOIN LATERAL generate_series(0, (1 << ns.d) - 1) AS m (mask)
    LEFT JOIN LATERAL (
        SELECT sum(fl.fieldmask)::bigint AS keymask,
               'jsonb_build_object(' || string_agg(format('%L, $1[%s][((c.key >> %s) & %s)::int]',
                   fl.dim_name, fl.bit + 1, fl.off, (1::bigint << fl.width) - 1), ', ' ORDER BY fl.bit) || ')' AS decode
        FROM _cube_field AS fl
        WHERE fl.nsid = ns.nsid AND m.mask & (1 << fl.bit) <> 0
    ) AS f ON true;

    CREATE TEMP TABLE _cube_dictarr ON COMMIT DROP AS
    SELECT x.nsid, array_agg(x.vals ORDER BY x.bit) AS vals
    FROM (
        SELECT f.nsid, f.bit,
               array_agg(CASE f.json_type WHEN 'integer' THEN to_jsonb(d.v::bigint) ELSE to_jsonb(d.v) END ORDER BY c.code) AS vals
        FROM _cube_field AS f
        CROSS JOIN LATERAL generate_series(1, (SELECT max(dd.code)::int FROM _cube_dict AS dd)) AS c (code)
        LEFT JOIN _cube_dict AS d ON d.nsid = f.nsid AND d.bit = f.bit AND d.code = c.code
        GROUP BY f.nsid, f.bit
    ) AS x
    GROUP BY x.nsid;
    ANALYZE _cube_fact;
    ANALYZE _cube_pc;
    ANALYZE _cube_tuple;
    RETURN v_facts;
END;
$$;
COMMENT ON FUNCTION learning._cube_facts(timestamptz) IS
'Private, rebuild stage 1: the facts closed by as_of with their dictionary-coded scope keys, in work tables (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_facts(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_facts(timestamptz) TO pglearn_admin;

/*
 * learning._cube_measures() -> TABLE (ord, col, sql_type, per_fact, merge)
 *
 * Private: the one list of the cube's mergeable sums (docs/stats.md, "Cells"). Each row is a typed column of
 * pattern_scope_stats and scope_cube_base: per_fact is its value for one fact (SQL over the fact f: rr,
 * hold_hours, details; and x: h = ref_hold_hours, b = the frozen coherence baseline, wk = ISO-week index since
 * scope_cube_frame.week0, nw = bitmap width, seg = consistency segment, t = weeks since week0); merge is how two
 * cells add ('sum' or 'bit_or'). The stage functions generate their SQL from it (the base from per_fact, the
 * roll-up and the fold-in from merge); learning.scope_stats finishes them (the formulas next to their sums are in
 * docs/stats.md). An inlinable SQL function.
 */
CREATE OR REPLACE FUNCTION learning._cube_measures()
RETURNS TABLE (ord integer, col text, sql_type text, per_fact text, merge text)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    SELECT m.ord, m.col, m.sql_type, m.per_fact, m.merge
    FROM (VALUES
        (1, 'n', 'integer', '1', 'sum'),
        (2, 's_rr', 'float8', 'f.rr', 'sum'),
        (3, 's_rr2', 'float8', 'f.rr * f.rr', 'sum'),
        (4, 's_te', 'float8', 'learning._time_efficiency(f.rr, f.hold_hours, x.h)', 'sum'),
        (5, 'n_above', 'integer', '(f.rr >= x.b)::int', 'sum'),
        (6, 'weeks', 'varbit', 'rpad(lpad(''1'', x.wk + 1, ''0''), x.nw, ''0'')::varbit', 'bit_or'),
        (7, 'sn0', 'integer', '(x.seg = 0)::int', 'sum'),
        (8, 'sn1', 'integer', '(x.seg = 1)::int', 'sum'),
        (9, 'sn2', 'integer', '(x.seg = 2)::int', 'sum'),
        (10, 'sn3', 'integer', '(x.seg = 3)::int', 'sum'),
        (11, 'sn4', 'integer', '(x.seg = 4)::int', 'sum'),
        (12, 'ss0', 'float8', 'CASE WHEN x.seg = 0 THEN f.rr ELSE 0 END', 'sum'),
        (13, 'ss1', 'float8', 'CASE WHEN x.seg = 1 THEN f.rr ELSE 0 END', 'sum'),
        (14, 'ss2', 'float8', 'CASE WHEN x.seg = 2 THEN f.rr ELSE 0 END', 'sum'),
        (15, 'ss3', 'float8', 'CASE WHEN x.seg = 3 THEN f.rr ELSE 0 END', 'sum'),
        (16, 'ss4', 'float8', 'CASE WHEN x.seg = 4 THEN f.rr ELSE 0 END', 'sum'),
        (17, 'cfd_n', 'integer', '(f.details -> ''cf_entry_delay_bars'' IS NOT NULL)::int', 'sum'),
        (18, 'cfd_s', 'float8', 'coalesce((f.details ->> ''cf_entry_delay_bars'')::float, 0)', 'sum'),
        (19, 'cfe_n', 'integer', '(f.details -> ''cf_entry_gain_rr'' IS NOT NULL)::int', 'sum'),
        (20, 'cfe_s', 'float8', 'coalesce((f.details ->> ''cf_entry_gain_rr'')::float, 0)', 'sum'),
        (21, 'cfe_s2', 'float8', 'coalesce((f.details ->> ''cf_entry_gain_rr'')::float ^ 2, 0)', 'sum'),
        (22, 'cfx_n', 'integer', '(f.details -> ''cf_exit_gain_rr'' IS NOT NULL)::int', 'sum'),
        (23, 'cfx_s', 'float8', 'coalesce((f.details ->> ''cf_exit_gain_rr'')::float, 0)', 'sum'),
        (24, 'cfx_later', 'integer', 'coalesce(f.details ->> ''cf_exit_direction'' = ''later'', false)::int', 'sum'),
        (25, 'cfx_earlier', 'integer', 'coalesce(f.details ->> ''cf_exit_direction'' = ''earlier'', false)::int', 'sum'),
        (26, 'cfx_dn', 'integer', '(learning._cf_exit_signed_gain(f.details) IS NOT NULL)::int', 'sum'),
        (27, 'cfx_ds', 'float8', 'coalesce(learning._cf_exit_signed_gain(f.details), 0)', 'sum'),
        (28, 'cfx_ds2', 'float8', 'coalesce(learning._cf_exit_signed_gain(f.details) ^ 2, 0)', 'sum'),
        (29, 's_t', 'float8', 'x.t', 'sum'),
        (30, 's_t2', 'float8', 'x.t * x.t', 'sum'),
        (31, 's_trr', 'float8', 'x.t * f.rr', 'sum')
    ) AS m (ord, col, sql_type, per_fact, merge)
$$;
COMMENT ON FUNCTION learning._cube_measures() IS
'Private: the cube''s mergeable sums, one row per typed column: its value for one fact and how two cells merge (docs/stats.md).';
REVOKE ALL ON FUNCTION learning._cube_measures() FROM public;
GRANT EXECUTE ON FUNCTION learning._cube_measures() TO pglearn_admin;

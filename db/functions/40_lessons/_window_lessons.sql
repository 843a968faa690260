/*
 * learning._window_lessons() -> jsonb
 *
 * Private, stage 8 of an epoch (docs/levers.md): the lessons whose trailing-window edge is recorded each epoch (the
 * active and stale ones), as the JSON array learning._lesson_window_edges reads ({id, pattern_key, action_category,
 * scope_values, scope_values_hash} each; [] when none). Read by build_lessons on one node and by the sharded router's
 * cycle, which sends it to the shards (scaleout.shard_record).
 */
CREATE OR REPLACE FUNCTION learning._window_lessons()
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', l.id, 'pattern_key', l.pattern_key, 'action_category', l.action_category,
                                                 'scope_values', l.scope_values, 'scope_values_hash', l.scope_values_hash)
                              ORDER BY l.id), '[]')
    FROM learning.learning_lessons AS l
    WHERE l.status IN ('active', 'stale')
$$;
COMMENT ON FUNCTION learning._window_lessons() IS
'Private: the active and stale lessons as the JSON array _lesson_window_edges reads (build_lessons, the sharded cycle).';
REVOKE ALL ON FUNCTION learning._window_lessons() FROM public;
GRANT EXECUTE ON FUNCTION learning._window_lessons() TO pglearn_admin;

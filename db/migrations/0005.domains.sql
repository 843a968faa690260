-- depends: 0003.replay
-- 0005.domains: every value is checked against its domain at the door (issue 11, docs/api.md "Domains").
--  * new tunable rr_abs_max (default 100): the bound of rr and of the counterfactual gains; the validation
--    triggers and learning._trade_facts (re-applied from db/functions/) read it.
--  * actions logged before integer scope dimensions were normalised, with an integral value written with a
--    fraction (bucket_rank_position 1.0), get the integer (1) in scope and scope_vec, so the aggregation keeps them.
--    Anything else outside its domain is left as it is and listed by learning.v_quarantine.
DO $guard$
BEGIN
    IF to_regclass('learning.learning_configs') IS NULL OR to_regclass('learning.override_score') IS NULL THEN
        RAISE EXCEPTION 'learning.learning_configs or learning.override_score is missing' USING ERRCODE = '55000',
            HINT = 'Migrations 0001.schema and 0003.replay must be applied first.';
    END IF;
END
$guard$;

-- a key added to tunables passes the config trigger of every version (older ones ignore it)
UPDATE learning.learning_configs
SET config = jsonb_set(config, '{tunables,rr_abs_max}', '100')
WHERE config_key = 'pm_config' AND NOT config -> 'tunables' ? 'rr_abs_max';

-- integral numbers written with a fraction get the integer in scope and scope_vec (written here, validation
-- triggers off for this one statement: the rows are otherwise left exactly as they were)
ALTER TABLE learning.action_log DISABLE TRIGGER USER;
WITH fix AS (
    SELECT
        x.id,
        jsonb_object_agg(d.dim_name, to_jsonb(trunc((x.scope ->> d.dim_name)::numeric)::bigint)) AS fixed
    FROM learning.action_log AS x
    INNER JOIN learning.scope_dimension AS d
        ON split_part(x.pattern_key, '.', 1) = d.namespace AND d.json_type = 'integer'
    WHERE
        jsonb_typeof(x.scope -> d.dim_name) = 'number'
        AND (x.scope ->> d.dim_name) ~ '^[0-9]{1,7}\.0+$'
    GROUP BY x.id
)

UPDATE learning.action_log AS a
SET
    scope = a.scope || fix.fixed,
    scope_vec = array(
        SELECT coalesce(fix.fixed ->> d.dim_name, a.scope_vec[d.bit + 1])  -- noqa: RF01
        FROM learning.scope_dimension AS d
        WHERE d.namespace = split_part(a.pattern_key, '.', 1)
        ORDER BY d.bit
    )
FROM fix
WHERE
    a.id = fix.id
    AND cardinality(a.scope_vec) = (
        SELECT count(*) FROM learning.scope_dimension AS d
        WHERE d.namespace = split_part(a.pattern_key, '.', 1)
    );
ALTER TABLE learning.action_log ENABLE TRIGGER USER;

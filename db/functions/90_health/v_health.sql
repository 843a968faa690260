/* learning.v_health: learning.validate() as a view for psql and dashboards. */
CREATE OR REPLACE VIEW learning.v_health AS
SELECT
    v.check_name,
    v.ok,
    v.detail
FROM learning.validate() AS v;
COMMENT ON VIEW learning.v_health IS 'System health: one row per roadmap section-7 criterion; all ok = the v5 stack is live.';
GRANT SELECT ON learning.v_health TO pglearn_reader;

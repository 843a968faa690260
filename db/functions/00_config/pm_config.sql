/*
 * learning.pm_config() -> jsonb
 *
 * The pm_config document (feature_flags + tunables) that every job and resolve_overrides read.
 */
CREATE OR REPLACE FUNCTION learning.pm_config()
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, learning, pg_temp
AS $$
    SELECT c.config FROM learning.learning_configs AS c WHERE c.config_key = 'pm_config'
$$;
COMMENT ON FUNCTION learning.pm_config() IS 'The pm_config document: feature_flags and tunables (docs/operations.md).';
REVOKE ALL ON FUNCTION learning.pm_config() FROM public;
GRANT EXECUTE ON FUNCTION learning.pm_config() TO pglearn_pm, pglearn_reader;

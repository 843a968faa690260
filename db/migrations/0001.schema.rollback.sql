-- Rollback of 0001.schema: removes the whole learning schema (tables, functions, views, triggers).
DROP SCHEMA learning CASCADE;
-- The roles pglearn_pm / pglearn_reader are cluster-wide and may serve other databases: they are kept.
DO $path$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET search_path', current_database());
END
$path$;

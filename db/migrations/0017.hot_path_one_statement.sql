-- depends: 0011.hot_path
-- 0017.hot_path_one_statement (issue 14, docs/api.md "Decision time"): resolve_overrides runs one statement per call.
--  * learning.override_decision_buffer: the kind bits (smallint with CHECK kind BETWEEN 0 AND 3) become two NOT NULL
--    booleans, execution and shadow. Every value of a boolean is valid, so the row needs no CHECK: the executor parsed
--    the CHECK's expression tree from its stored text at the start of every INSERT, 4 % of a call in perf. The rows
--    waiting for the roll-up keep their meaning (bit 1: execution, bit 2: shadow).
--  * runtime_override.strength_doc / execution_doc: filled where a generation materialized before 0011.hot_path left
--    them NULL (learning._override_docs, the one formula), so resolve_overrides reads the stored documents only.
DO $guard$
BEGIN
    IF to_regclass('learning.override_decision_buffer') IS NULL THEN
        RAISE EXCEPTION 'learning.override_decision_buffer is missing' USING ERRCODE = '55000',
            HINT = 'Migration 0011.hot_path must be applied first.';
    END IF;
END
$guard$;

ALTER TABLE learning.override_decision_buffer
ADD COLUMN execution boolean NOT NULL DEFAULT FALSE,
ADD COLUMN shadow boolean NOT NULL DEFAULT FALSE;
UPDATE learning.override_decision_buffer SET execution = kind & 1 = 1, shadow = kind & 2 = 2
WHERE kind <> 0;
ALTER TABLE learning.override_decision_buffer DROP COLUMN kind;
ALTER TABLE learning.override_decision_buffer ALTER COLUMN execution DROP DEFAULT, ALTER COLUMN shadow DROP DEFAULT;
COMMENT ON TABLE learning.override_decision_buffer IS
'UNLOGGED: one compact row per resolve_overrides decision (execution: execution levers applied too; shadow: shadow '
'mode), rolled up into override_decision_counts by flush_override_decisions(); emptied by a server crash.';
COMMENT ON COLUMN learning.override_decision_buffer.execution IS 'The decision also applied (or in shadow mode would have applied) execution levers.';
COMMENT ON COLUMN learning.override_decision_buffer.shadow IS 'Decided in shadow mode: recorded, not applied.';

-- (on a fresh database there are no rows yet, nor the function: db/functions is applied after the migrations)
DO $fill$
BEGIN
    IF to_regprocedure('learning._override_docs(learning.runtime_override)') IS NOT NULL THEN
        EXECUTE 'UPDATE learning.runtime_override AS r
                 SET (strength_doc, execution_doc) = (SELECT d.strength, d.execution FROM learning._override_docs(r) AS d)
                 WHERE r.strength_doc IS NULL';
    END IF;
END
$fill$;

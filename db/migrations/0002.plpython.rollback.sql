-- Rollback of 0002.plpython. The PL/Python functions live in db/functions/ and go with the language.
DROP EXTENSION IF EXISTS plpython3u CASCADE;

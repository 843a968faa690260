-- Issue 16 (router): PL/Proxy (Debian postgresql-15-plproxy) routes the PM's calls to the shards.
CREATE EXTENSION IF NOT EXISTS plproxy;

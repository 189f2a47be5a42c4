"""Database functions that hand out reference codes (IQ-NI-0001, W-0001).

They live in the database so that every path that inserts rows (the ORM, bulk
imports, raw SQL) gets a code from the same counter under the same row lock.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION core_next_serial(p text) RETURNS integer
LANGUAGE sql AS $$
    INSERT INTO core_serialcounter (prefix, last_value) VALUES (p, 1)
    ON CONFLICT (prefix) DO UPDATE SET last_value = core_serialcounter.last_value + 1
    RETURNING last_value;
$$;

CREATE OR REPLACE FUNCTION core_next_code(p text) RETURNS text
LANGUAGE sql AS $$
    SELECT p || '-' || lpad(n::text, GREATEST(4, length(n::text)), '0')
    FROM (SELECT core_next_serial(p) AS n) AS serial;
$$;

CREATE OR REPLACE FUNCTION core_bump_serial(p text, v integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO core_serialcounter (prefix, last_value) VALUES (p, v)
    ON CONFLICT (prefix) DO UPDATE
        SET last_value = GREATEST(core_serialcounter.last_value, EXCLUDED.last_value);
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS core_bump_serial(text, integer);
DROP FUNCTION IF EXISTS core_next_code(text);
DROP FUNCTION IF EXISTS core_next_serial(text);
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]

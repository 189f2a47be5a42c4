"""Indexes for name search, so a search reads its matches instead of every site's names.

Name search (``SiteQuerySet.search``) computes every site's names and full-text
document unless indexes hold them: a full-text index always, and where the server
has ``pg_trgm`` (the embedded test server has no contrib extensions) trigram
indexes for the substring and similar-spelling matches. The trigram indexes are not
in the model state because they cannot exist everywhere; they are built here when
the extension is, or can be, installed, and the expressions must stay those
``search()`` writes (``Upper("name")``, ``Upper(site_names())``, ``Upper("reference_code")``).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import DatabaseError, migrations, models, transaction
from django.db.models.functions import Upper

# array_to_string is STABLE (it could call any type's output function), so no index may
# hold it; for an array of varchar the result depends on nothing but the array, which is
# what IMMUTABLE promises. PL/pgSQL rather than SQL: neither is inlined into an index
# expression, and PL/pgSQL keeps its plan, which makes the call a few times cheaper.
SITE_NAMES_FUNCTION = """
CREATE OR REPLACE FUNCTION sites_site_names(name varchar, alternative_names varchar[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN array_to_string(array_prepend(name, alternative_names), ' ');
END
$$;
"""


def _site_names():
    return models.Func(
        models.F("name"), models.F("alternative_names"), function="sites_site_names", output_field=models.TextField()
    )


TRIGRAM_INDEXES = [
    GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="site_name_trgm_idx"),
    GinIndex(OpClass(Upper(_site_names()), name="gin_trgm_ops"), name="site_names_trgm_idx"),
    GinIndex(OpClass(Upper("reference_code"), name="gin_trgm_ops"), name="site_code_trgm_idx"),
]


def add_trigram_indexes(apps, schema_editor):
    """Install pg_trgm if the server offers it and this role may, then index names and codes by trigram."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')")
        if not cursor.fetchone()[0]:
            return
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            # A role that may not install extensions: search still works, by full text
            # and unindexed substrings, as on a server without contrib.
            return
    site = apps.get_model("sites", "Site")
    for index in TRIGRAM_INDEXES:
        schema_editor.add_index(site, index)


def remove_trigram_indexes(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS site_name_trgm_idx, site_names_trgm_idx, site_code_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0006_history_statement_level"),
    ]

    operations = [
        migrations.RunSQL(SITE_NAMES_FUNCTION, "DROP FUNCTION IF EXISTS sites_site_names(varchar, varchar[])"),
        migrations.AddIndex(
            model_name="site",
            index=GinIndex(
                SearchVector(_site_names(), "reference_code", config="simple"), name="site_search_document_idx"
            ),
        ),
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes),
        # Statistics on the new expressions, so the planner estimates a search's matches
        # from the indexes' contents rather than from a fixed guess.
        migrations.RunSQL("ANALYZE sites_site", migrations.RunSQL.noop),
    ]

"""The four roles of a documentation team, as permission sets.

Roles are Django groups so that an administrator can see and audit them in the
admin; this module is their single definition, applied by data migrations
(``sync_role_groups``) so every installation has the same groups with the same
rights. docs/security.md explains the matrix.
"""

RESEARCHER = "Researcher"
AUDITOR = "Auditor"
DATA_MANAGER = "Data manager"
WITNESS_PROTECTION_OFFICER = "Witness protection officer"

# Records of the evidence itself, by app; witness identities are kept out on purpose.
EVIDENCE_MODELS = {
    "sources": ["organization", "source", "citation"],
    "sites": ["site", "sitecitation", "sitestatuschange", "siterelation", "victimestimate"],
    "testimony": ["witness", "consent", "consentpartner", "testimony", "testimonysite", "testimonycitation"],
}
IDENTITY_MODELS = {"testimony": ["witnessidentity"]}


def _perms(models_by_app, actions):
    return {
        f"{app}.{action}_{model}"
        for app, models in models_by_app.items()
        for model in models
        for action in actions
    }


ROLE_PERMISSIONS = {
    RESEARCHER: _perms(EVIDENCE_MODELS, ["view", "add", "change", "export"]) | {"sites.view_exact_location"},
    AUDITOR: _perms(EVIDENCE_MODELS, ["view", "export"])
    | {"sites.view_confidential_site", "sites.view_exact_location", "testimony.view_confidential_testimony"},
    DATA_MANAGER: _perms(EVIDENCE_MODELS, ["view", "add", "change", "delete", "archive", "import", "export"])
    | {
        "sites.view_confidential_site",
        "sites.view_exact_location",
        "sites.merge_site",
        "testimony.view_confidential_testimony",
    },
    WITNESS_PROTECTION_OFFICER: _perms(
        {"testimony": ["witness", "consent", "consentpartner", "testimony", "testimonysite"]}, ["view"]
    )
    | _perms(IDENTITY_MODELS, ["view", "add", "change"])
    | {"testimony.view_witness_identity", "testimony.view_confidential_testimony"},
}


def sync_role_groups(apps, schema_editor=None):
    """Create or update the role groups; safe to run again (it sets, never appends)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for label in sorted(wanted):
            app_label, codename = label.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)

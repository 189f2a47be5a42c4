"""The four roles of a documentation team, as permission sets, and the matrix they form.

Roles are Django groups so that an administrator can see and audit them in the
admin; this module is their single definition, applied by data migrations
(``sync_role_groups``) so every installation has the same groups with the same
rights. The admin, the pages, the API, exports and commands all ask Django's
permission system, so what ``ROLE_PERMISSIONS`` grants is what every surface
allows; ``permission_matrix()`` renders the same data as the table in
docs/security.md, and a test keeps the two identical.

No role holds ``delete``: evidence is archived with a reason, never deleted, and
only a superuser (the system administrator, outside every role) could remove a row.
"""

RESEARCHER = "Researcher"
AUDITOR = "Auditor"
DATA_MANAGER = "Data manager"
WITNESS_PROTECTION_OFFICER = "Witness protection officer"
ANONYMOUS = "Anonymous"

# The records of the evidence, in the groups the matrix speaks of. Permissions are
# granted per group, never per model, so that no role can read an estimate but not
# its site, or a testimony but not the consent that governs it.
SITE_RECORDS = {
    "sources": ["organization", "source", "citation"],
    "sites": ["site", "sitecitation", "sitestatuschange", "siterelation", "victimestimate"],
}
TESTIMONY_RECORDS = {"testimony": ["witness", "testimony", "testimonysite", "testimonycitation"]}
CONSENT_RECORDS = {"testimony": ["consent", "consentpartner"]}
# Witness identities are kept out of every other group on purpose.
IDENTITY_RECORDS = {"testimony": ["witnessidentity"]}

RECORD_GROUPS = {
    "sites": SITE_RECORDS,
    "testimonies": TESTIMONY_RECORDS,
    "consents": CONSENT_RECORDS,
    "identities": IDENTITY_RECORDS,
}
EVIDENCE = (SITE_RECORDS, TESTIMONY_RECORDS, CONSENT_RECORDS)

# Matrix columns that apply per record (the permission is ``<app>.<action>_<model>``).
RECORD_ACTIONS = ["view", "add", "change", "archive", "export", "import"]
# Matrix columns that are one permission each.
SIGHT_ACTIONS = {
    "see witness identities": "testimony.view_witness_identity",
    "see confidential sites": "sites.view_confidential_site",
    "see confidential testimonies": "testimony.view_confidential_testimony",
    "see exact locations": "sites.view_exact_location",
}
# Matrix rows for reading the record of the record: who changed what (the audit log)
# and which sites were merged (the merges and the judgements that two sites differ).
# A role has the row when it holds every permission listed.
OVERSIGHT_ACTIONS = {
    "read the audit log": {"audit.view_auditentry"},
    "read merge records": {"dedup.view_sitemerge", "dedup.view_sitemergemember", "dedup.view_distinctsitesjudgement"},
}
AUDIT_LOG = OVERSIGHT_ACTIONS["read the audit log"]
MERGE_RECORDS = OVERSIGHT_ACTIONS["read merge records"]
CONFIDENTIAL_SITES = SIGHT_ACTIONS["see confidential sites"]
CONFIDENTIAL_TESTIMONIES = SIGHT_ACTIONS["see confidential testimonies"]
EXACT_LOCATIONS = SIGHT_ACTIONS["see exact locations"]
WITNESS_IDENTITIES = SIGHT_ACTIONS["see witness identities"]


def _perms(groups, actions):
    return {
        f"{app}.{action}_{model}"
        for models_by_app in groups
        for app, models in models_by_app.items()
        for model in models
        for action in actions
    }


ROLE_PERMISSIONS = {
    # Finds and enters evidence. Sees neither confidential records nor exact
    # coordinates: researchers' accounts are the most numerous and the most often
    # phished, and research needs the district, not the spot.
    RESEARCHER: _perms(EVIDENCE, ["view", "add", "change", "export"]),
    # Reads everything except who the witnesses are, including who changed what and
    # which sites were merged (an audit needs the trail, not only the result); changes nothing.
    AUDITOR: _perms(EVIDENCE, ["view", "export"])
    | {CONFIDENTIAL_SITES, CONFIDENTIAL_TESTIMONIES, EXACT_LOCATIONS}
    | AUDIT_LOG
    | MERGE_RECORDS,
    # Keeps the record: archives and restores, imports other organisations' lists,
    # merges duplicates; still never sees who the witnesses are.
    DATA_MANAGER: _perms(EVIDENCE, ["view", "add", "change", "archive", "import", "export"])
    | {CONFIDENTIAL_SITES, CONFIDENTIAL_TESTIMONIES, EXACT_LOCATIONS, "sites.merge_site"}
    # reads the audit log to answer "who changed this, and why?" while keeping the record,
    | AUDIT_LOG
    | MERGE_RECORDS
    # and keeps the column mappings other organisations' files are read with.
    | {"exchange.view_columnmapping", "exchange.add_columnmapping", "exchange.change_columnmapping"},
    # Protects the people who spoke: the only role that sees identities, and the one
    # that records consent and its withdrawal. Has no business with the sites.
    WITNESS_PROTECTION_OFFICER: _perms([TESTIMONY_RECORDS, CONSENT_RECORDS], ["view"])
    | _perms([CONSENT_RECORDS, IDENTITY_RECORDS], ["view", "add", "change"])
    | {WITNESS_IDENTITIES, CONFIDENTIAL_TESTIMONIES},
}


def permission_matrix() -> dict[str, dict[str, str]]:
    """Role -> action -> what the role may do, in words, as docs/security.md shows it.

    A record action names the groups of records it covers ("sites, consents") or
    "—"; a sight or oversight action is "yes" or "—". Anonymous visitors hold
    nothing: every surface asks them to log in.
    """
    matrix = {}
    for role, granted in {**ROLE_PERMISSIONS, ANONYMOUS: set()}.items():
        row = {}
        for action in RECORD_ACTIONS:
            groups = [name for name, group in RECORD_GROUPS.items() if _perms([group], [action]) <= granted]
            row[action] = ", ".join(groups) or "—"
        for action, permission in SIGHT_ACTIONS.items():
            row[action] = "yes" if permission in granted else "—"
        for action, permissions in OVERSIGHT_ACTIONS.items():
            row[action] = "yes" if permissions <= granted else "—"
        matrix[role] = row
    return matrix


def permission_matrix_markdown() -> str:
    """The matrix as a Markdown table: one row per action, one column per role."""
    matrix = permission_matrix()
    role_names = list(matrix)
    lines = [
        "| action | " + " | ".join(role_names) + " |",
        "|---" * (len(role_names) + 1) + "|",
        *(
            f"| {action} | " + " | ".join(matrix[role][action] for role in role_names) + " |"
            for action in [*RECORD_ACTIONS, *SIGHT_ACTIONS, *OVERSIGHT_ACTIONS]
        ),
    ]
    return "\n".join(lines)


def sync_role_groups(apps, schema_editor=None):
    """Create or update the role groups; safe to run again (it sets, never appends).

    Run by each accounts migration that changes the matrix. An early migration
    runs it with today's ``ROLE_PERMISSIONS`` against yesterday's models, so a
    permission no model declares yet is left for the later migration that runs it
    again (tests/security/test_matrix.py checks that, in the end, each group holds
    exactly its set, so a misspelt permission cannot hide here).
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration state's app configs have no models module, which makes
        # create_permissions skip them; the live registry's must be left as found.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for label in sorted(wanted):
            app_label, codename = label.split(".")
            model_name = _model_of(apps, app_label, codename)
            if model_name is None:
                continue
            perms.append(
                Permission.objects.get(
                    content_type__app_label=app_label, content_type__model=model_name, codename=codename
                )
            )
        group.permissions.set(perms)


def _model_of(apps, app_label: str, codename: str) -> str | None:
    """The model a permission belongs to, if that model exists in this migration state."""
    try:
        models = apps.get_app_config(app_label).get_models()
    except LookupError:
        return None
    for model in models:
        meta = model._meta
        declared = {name for name, _ in meta.permissions}
        defaults = {f"{action}_{meta.model_name}" for action in meta.default_permissions}
        if codename in declared or codename in defaults:
            return meta.model_name
    return None

"""The permission matrix of docs/security.md, walked cell by cell over HTTP on every surface.

The matrix is data (``gravesdb.core.roles``); each surface contributes probes that
ask, over HTTP as the role's member would (or through a management command run
as that member's account), "may I do this to that group of records?". A probe answers True (allowed), False (refused: 403, a redirect to the
login page, a read-only page, a missing button) and the test compares every
answer with the matrix. A surface is added to the walk by adding its probes to
``PROBES``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin import site as admin_site
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from gravesdb.audit.models import AuditEntry
from gravesdb.core import roles
from gravesdb.dedup.services import sites_judge_distinct, sites_merge
from tests.factories import (
    CitationFactory,
    ConsentFactory,
    ConsentPartnerFactory,
    OrganizationFactory,
    SiteCitationFactory,
    SiteFactory,
    SiteRelationFactory,
    SiteStatusChangeFactory,
    SourceFactory,
    TestimonyCitationFactory,
    TestimonyFactory,
    TestimonySiteFactory,
    UserFactory,
    VictimEstimateFactory,
    WitnessIdentityFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [roles.RESEARCHER, roles.AUDITOR, roles.DATA_MANAGER, roles.WITNESS_PROTECTION_OFFICER, roles.ANONYMOUS]
WITNESS_NAME = "Hussein Ali al-Matrix"
CONFIDENTIAL_SUMMARY = "Saw the second trench being filled at night (confidential)."
EXACT_LATITUDE = "36.188123"
MERGE_REASON = "Two lists name the same pit at Badush"
JUDGEMENT_REASON = "Two sinkholes 300 m apart"


@dataclass(frozen=True)
class Probe:
    surface: str
    action: str
    group: str  # a key of roles.RECORD_GROUPS, or "" for a sight action
    name: str
    check: Callable  # (client, records) -> bool: True when the surface allows it


def _group_of(model_label: str) -> str:
    app, model = model_label.split(".")
    return next(name for name, group in roles.RECORD_GROUPS.items() if model in group.get(app, []))


def expected(role: str, probe: Probe) -> bool:
    granted = roles.ROLE_PERMISSIONS.get(role, set())
    if probe.action in roles.SIGHT_ACTIONS:
        return roles.SIGHT_ACTIONS[probe.action] in granted
    if probe.action in roles.OVERSIGHT_ACTIONS:
        return roles.OVERSIGHT_ACTIONS[probe.action] <= granted
    return roles._perms([roles.RECORD_GROUPS[probe.group]], [probe.action]) <= granted


# ---- the records every probe works on ---------------------------------------------------------


def build_records():
    site = SiteFactory(latitude=Decimal(EXACT_LATITUDE), longitude=Decimal("43.139456"), sensitivity="restricted")
    confidential_site = SiteFactory(name="Unpublished trench near Tal Afar", sensitivity="confidential")
    estimate = VictimEstimateFactory(site=site)
    SiteCitationFactory(site=site, citation=estimate.citation)
    status_change = SiteStatusChangeFactory(site=site, to_status=site.status)
    relation = SiteRelationFactory(from_site=site, to_site=SiteFactory(name="Sinjar complex", sensitivity="public"))
    identity = WitnessIdentityFactory(legal_name=WITNESS_NAME)
    witness = identity.witness
    consent = ConsentFactory(witness=witness)
    ConsentPartnerFactory(consent=consent)
    testimony = TestimonyFactory(witness=witness, consent=consent, sensitivity="restricted")
    TestimonySiteFactory(testimony=testimony, site=site)
    TestimonyCitationFactory(testimony=testimony, citation=CitationFactory())
    confidential_testimony = TestimonyFactory(
        witness=witness, consent=consent, summary=CONFIDENTIAL_SUMMARY, sensitivity="confidential"
    )
    keeper = UserFactory(username="merge-keeper", is_superuser=True)
    merge = sites_merge(survivor=SiteFactory(), merged=[SiteFactory()], reason=MERGE_REASON, actor=keeper)
    sites_judge_distinct(site_a=SiteFactory(), site_b=SiteFactory(), reason=JUDGEMENT_REASON, actor=keeper)
    return {
        "sources.organization": OrganizationFactory(),
        "sources.source": SourceFactory(),
        "sources.citation": estimate.citation,
        "sites.site": site,
        "sites.victimestimate": estimate,
        "sites.sitestatuschange": status_change,
        "sites.siterelation": relation,
        "testimony.witness": witness,
        "testimony.testimony": testimony,
        "testimony.consent": consent,
        "testimony.witnessidentity": identity,
        "confidential_site": confidential_site,
        "confidential_testimony": confidential_testimony,
        "merge": merge,
        "audit_entry": AuditEntry.objects.filter(object_model="sites.Site", object_id=str(site.pk)).first(),
    }


# ---- the admin ------------------------------------------------------------------------------------


def _admin_url(label: str, view: str, *args) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


def _allowed_page(response) -> bool:
    return response.status_code == 200


def _admin_view(label):
    return lambda client, records: _allowed_page(client.get(_admin_url(label, "changelist")))


def _admin_add(label):
    return lambda client, records: _allowed_page(client.get(_admin_url(label, "add")))


def _admin_change(label):
    def check(client, records):
        response = client.get(_admin_url(label, "change", records[label].pk))
        return response.status_code == 200 and 'name="_save"' in response.content.decode()

    return check


def _admin_archive(label):
    def check(client, records):
        response = client.get(_admin_url(label, "changelist"))
        return response.status_code == 200 and 'value="archive_selected"' in response.content.decode()

    return check


# Models edited only inside their parent's page: (parent, inline prefix).
INLINE_ONLY = {
    "sites.sitecitation": ("sites.site", "site_citations"),
    "testimony.testimonysite": ("testimony.testimony", "site_links"),
    "testimony.testimonycitation": ("testimony.testimony", "testimony_citations"),
    "testimony.consentpartner": ("testimony.consent", "partner_links"),
}
# Status changes are added on the site's page and are permanent for everybody: a
# correction is a new step (a database trigger refuses updates).
ADDED_INLINE = {"sites.sitestatuschange": ("sites.site", "status_changes")}
PERMANENT = {"sites.sitestatuschange"}


def _inline(parent, prefix, marker):
    def check(client, records):
        response = client.get(_admin_url(parent, "change", records[parent].pk))
        return response.status_code == 200 and marker.format(prefix=prefix) in response.content.decode()

    return check


def _contains(url_of, text):
    def check(client, records):
        response = client.get(url_of(records))
        return response.status_code == 200 and text(records) in response.content.decode()

    return check


def admin_probes() -> list[Probe]:
    probes = []
    registered = {model._meta.label_lower for model in admin_site._registry}
    for group in roles.RECORD_GROUPS.values():
        for app, models in group.items():
            for model in models:
                label = f"{app}.{model}"
                name = _group_of(label)
                if label in INLINE_ONLY:
                    parent, prefix = INLINE_ONLY[label]
                    probes.append(Probe("admin", "view", name, f"{label} inline", _inline(parent, prefix, 'id="id_{prefix}-TOTAL_FORMS"')))
                    probes.append(Probe("admin", "add", name, f"{label} inline", _inline(parent, prefix, 'id="{prefix}-empty"')))
                    continue
                assert label in registered, f"{label} has neither an admin nor an inline probe"
                probes.append(Probe("admin", "view", name, label, _admin_view(label)))
                if label in ADDED_INLINE:
                    parent, prefix = ADDED_INLINE[label]
                    probes.append(Probe("admin", "add", name, f"{label} inline", _inline(parent, prefix, 'id="{prefix}-empty"')))
                else:
                    probes.append(Probe("admin", "add", name, label, _admin_add(label)))
                if label not in PERMANENT:
                    probes.append(Probe("admin", "change", name, label, _admin_change(label)))
                probes.append(Probe("admin", "archive", name, label, _admin_archive(label)))
    site_page = lambda records: _admin_url("sites.site", "change", records["sites.site"].pk)  # noqa: E731
    probes += [
        Probe(
            "admin",
            "see confidential sites",
            "",
            "site list",
            _contains(lambda records: _admin_url("sites.site", "changelist"), lambda records: records["confidential_site"].name),
        ),
        Probe("admin", "see exact locations", "", "site page", _contains(site_page, lambda records: EXACT_LATITUDE)),
        Probe(
            "admin",
            "see confidential testimonies",
            "",
            "testimony page",
            _contains(
                lambda records: _admin_url("testimony.testimony", "change", records["confidential_testimony"].pk),
                lambda records: CONFIDENTIAL_SUMMARY,
            ),
        ),
        Probe(
            "admin",
            "see witness identities",
            "",
            "witness page",
            _contains(
                lambda records: _admin_url("testimony.witness", "change", records["testimony.witness"].pk),
                lambda records: WITNESS_NAME,
            ),
        ),
        *oversight_probes(),
    ]
    return probes


def oversight_probes() -> list[Probe]:
    """The audit log and the merge records: read-only pages of the admin."""
    entry_page = lambda records: _admin_url("audit.auditentry", "change", records["audit_entry"].pk)  # noqa: E731
    merge_page = lambda records: _admin_url("dedup.sitemerge", "change", records["merge"].pk)  # noqa: E731
    judgements = lambda records: _admin_url("dedup.distinctsitesjudgement", "changelist")  # noqa: E731
    return [
        Probe("admin", "read the audit log", "", "audit log", _admin_view("audit.auditentry")),
        Probe("admin", "read the audit log", "", "audit entry", _contains(entry_page, lambda records: records["audit_entry"].hash)),
        Probe("admin", "read merge records", "", "merges", _admin_view("dedup.sitemerge")),
        Probe("admin", "read merge records", "", "merge", _contains(merge_page, lambda records: MERGE_REASON)),
        Probe("admin", "read merge records", "", "judgements", _contains(judgements, lambda records: JUDGEMENT_REASON)),
    ]


# ---- the workspace pages ------------------------------------------------------------------------


def workspace_probes() -> list[Probe]:
    site_list = lambda records: reverse("workspace:site_list")  # noqa: E731
    dossier = lambda records: reverse("workspace:site_dossier", args=[records["sites.site"].reference_code])  # noqa: E731
    return [
        Probe("workspace", "view", "sites", "site list", _contains(site_list, lambda records: records["sites.site"].name)),
        Probe(
            "workspace",
            "see confidential sites",
            "",
            "site list",
            _contains(site_list, lambda records: records["confidential_site"].name),
        ),
        Probe("workspace", "see exact locations", "", "site dossier", _contains(dossier, lambda records: EXACT_LATITUDE)),
        Probe("workspace", "export", "sites", "site report", lambda c, r: _site_report_download(c, r) is not None),
        Probe(
            "workspace",
            "see confidential sites",
            "",
            "site report",
            _report_contains(_site_report_download, lambda records: records["confidential_site"].reference_code),
        ),
        Probe(
            "workspace",
            "see exact locations",
            "",
            "site report",
            _report_contains(_site_report_download, lambda records: EXACT_LATITUDE),
        ),
    ]


def _site_report_download(client, records):
    """The site list's export as the client's user downloads it, or None if refused."""
    response = client.get(reverse("exchange:site_report"))
    if response.status_code != 200:
        return None
    return b"".join(response.streaming_content).decode("utf-8")


def _report_contains(report_of, text):
    def check(client, records):
        report = report_of(client, records)
        return report is not None and text(records) in report

    return check


# ---- the API ---------------------------------------------------------------------------------------

API_ENDPOINTS = {
    "sites": "sites.site",
    "estimates": "sites.victimestimate",
    "organizations": "sources.organization",
    "sources": "sources.source",
    "citations": "sources.citation",
    "witnesses": "testimony.witness",
    "testimonies": "testimony.testimony",
    "witness-identities": "testimony.witnessidentity",
}
# Refusals: not logged in, not allowed, or not there for this reader.
REFUSED = {401, 403, 404, 405}


def _api_answers(method, url_of, data=None):
    def check(client, records):
        response = getattr(client, method)(url_of(records), data or {}, content_type="application/json")
        return response.status_code not in REFUSED

    return check


def api_probes() -> list[Probe]:
    probes = []
    for endpoint, label in API_ENDPOINTS.items():
        group = _group_of(label)
        collection = lambda records, e=endpoint: f"/api/{e}/"  # noqa: E731
        item = lambda records, e=endpoint, m=label: f"/api/{e}/{records[m].pk}/"  # noqa: E731
        probes += [
            Probe("api", "view", group, endpoint, _api_answers("get", collection)),
            # An empty body passes the permission check and fails validation: 400 means allowed.
            Probe("api", "add", group, endpoint, _api_answers("post", collection)),
            Probe("api", "change", group, endpoint, _api_answers("patch", item)),
        ]
    probes += [
        Probe(
            "api",
            "see confidential sites",
            "",
            "sites",
            _contains(lambda records: "/api/sites/", lambda records: records["confidential_site"].name),
        ),
        Probe(
            "api",
            "see exact locations",
            "",
            "site",
            _contains(lambda records: f"/api/sites/{records['sites.site'].pk}/", lambda records: EXACT_LATITUDE),
        ),
        Probe(
            "api",
            "see confidential testimonies",
            "",
            "testimony",
            _contains(
                lambda records: f"/api/testimonies/{records['confidential_testimony'].pk}/",
                lambda records: CONFIDENTIAL_SUMMARY,
            ),
        ),
        Probe(
            "api",
            "see witness identities",
            "",
            "identities",
            _contains(lambda records: "/api/witness-identities/", lambda records: WITNESS_NAME),
        ),
    ]
    return probes


# ---- management commands ---------------------------------------------------------------------------
# Commands act as the account named by --user; an anonymous visitor has none to name.


def _site_report(client, records):
    """The site report as ``export_site_report --user`` writes it for the client's user, or None if refused."""
    user = client.matrix_user
    if user is None:
        return None
    path = Path(settings.MEDIA_ROOT) / f"matrix-{user.username}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        call_command("export_site_report", user=user.username, output=str(path), stdout=StringIO(), stderr=StringIO())
    except CommandError:
        return None
    return path.read_text(encoding="utf-8")


def command_probes() -> list[Probe]:
    return [
        Probe("command", "export", "sites", "export_site_report", lambda c, r: _site_report(c, r) is not None),
        Probe(
            "command",
            "see confidential sites",
            "",
            "export_site_report",
            _report_contains(_site_report, lambda records: records["confidential_site"].reference_code),
        ),
        Probe(
            "command",
            "see exact locations",
            "",
            "export_site_report",
            _report_contains(_site_report, lambda records: EXACT_LATITUDE),
        ),
    ]


PROBES = admin_probes() + workspace_probes() + api_probes() + command_probes()


def _client_for_role(client, role):
    client.matrix_user = None
    if role != roles.ANONYMOUS:
        user = UserFactory(username=role.lower().replace(" ", "_"), is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        client.matrix_user = user
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_of_the_matrix_holds_over_http(client, role):
    records = build_records()
    client = _client_for_role(client, role)

    wrong = []
    for probe in PROBES:
        allowed = probe.check(client, records)
        if allowed != expected(role, probe):
            verdict = "allowed" if allowed else "refused"
            wrong.append(f"{probe.surface}: {probe.action} {probe.name} was {verdict}")
    assert wrong == [], f"{role}: " + "; ".join(wrong)


def test_the_walk_covers_every_action_and_group():
    walked = {(probe.action, probe.group) for probe in PROBES}
    wanted = {(action, group) for action in ["view", "add", "change", "archive"] for group in roles.RECORD_GROUPS}
    wanted |= {(action, "") for action in [*roles.SIGHT_ACTIONS, *roles.OVERSIGHT_ACTIONS]}
    # Identities are not evidence: they are never archived, only kept or corrected.
    assert wanted - walked <= {("archive", "witness identities")}


def test_each_role_group_holds_exactly_its_permissions():
    for role, wanted in roles.ROLE_PERMISSIONS.items():
        held = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == wanted, role


def test_no_role_may_delete_anything():
    assert not any(label.split(".")[1].startswith("delete_") for perms in roles.ROLE_PERMISSIONS.values() for label in perms)


def test_docs_show_the_matrix_the_code_enforces():
    doc = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text(encoding="utf-8")
    assert roles.permission_matrix_markdown() in doc

"""What a reader may see, asked one way for every page: visibility first, then filters.

Every page (and the API) starts from ``visible_sites``/``visible_testimonies``, so a
confidential record cannot leak through a page that forgot a filter, and a count
on one page is the count on every other.
"""

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from gravesdb.sites.filtersets import SiteFilterSet
from gravesdb.sites.models import Site, SiteCitation, SiteStatusChange, VictimEstimate
from gravesdb.sources.models import Citation
from gravesdb.testimony.models import Testimony, TestimonyCitation

# Sort orders offered on the site list: key -> (label, ORDER BY). Each ends on the
# unique reference code so that pages never overlap or skip a site.
SITE_SORTS = {
    "code": (_("Reference code"), ["reference_code"]),
    "name": (_("Name"), ["name", "reference_code"]),
    "-victims": (_("Most victims first"), [F("reconciled_best").desc(nulls_last=True), "reference_code"]),
    "-reported": (_("Most recently reported"), [F("first_reported_on").desc(nulls_last=True), "reference_code"]),
    "-updated": (_("Most recently changed"), ["-updated_at", "reference_code"]),
    "relevance": (_("Best match"), ["-search_rank", "reference_code"]),
}


def visible_sites(user):
    return Site.objects.visible_to(user).current()


def visible_testimonies(user):
    return Testimony.objects.visible_to(user).filter(archived_at__isnull=True)


def filtered_sites(user, params, *, sort: str = ""):
    """The sites a reader asked for, with the reconciled range, in the chosen order.

    Returns the FilterSet too, so a page can show its form, errors and chips. The
    exchange's site report applies the same FilterSet before the same visibility
    (``exchange.reports.site_filter``), so its manifest can say what the filter
    withheld; tests/exchange/test_views.py checks both give the same sites.
    """
    filterset = SiteFilterSet(params or None, queryset=visible_sites(user))
    sites = filterset.qs
    searching = bool(filterset.is_bound and filterset.form.is_valid() and filterset.form.cleaned_data.get("q"))
    if sort not in SITE_SORTS or (sort == "relevance" and not searching):
        sort = "relevance" if searching else "code"
    return filterset, sites.with_reconciled_range().order_by(*SITE_SORTS[sort][1]), sort


def sites_citing(source, user):
    """Visible sites whose existence or figures a source vouches for."""
    return SiteFilterSet({"source": source.pk}, queryset=visible_sites(user)).qs


def visible_citations(user):
    """Passages that vouch for something the reader may see.

    A quote about a confidential site or testimony says as much as the record
    itself, so a citation is visible only through a record that is; one not yet
    attached to any record is shown to those who may attach it (``add_citation``).
    """
    if not user.has_perm("sources.view_citation"):
        return Citation.objects.none()
    sites, testimonies = visible_sites(user), visible_testimonies(user)
    citing_records = [
        (SiteCitation.objects, {"site__in": sites}),
        (VictimEstimate.objects, {"site__in": sites}),
        (SiteStatusChange.objects, {"site__in": sites}),
        (TestimonyCitation.objects, {"testimony__in": testimonies}),
    ]
    visible = Q()
    attached = Q()
    for manager, within in citing_records:
        visible |= Exists(manager.filter(citation=OuterRef("pk"), **within))
        attached |= Exists(manager.filter(citation=OuterRef("pk")))
    if user.has_perm("sources.add_citation"):
        visible |= ~attached
    return Citation.objects.filter(visible, archived_at__isnull=True)

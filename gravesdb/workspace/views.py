"""The researchers' workspace: find sites, see them on a map, read each one's whole story.

Pages are server-rendered and work without JavaScript (the map is the one
enhancement that needs it). Every query starts from the reader's visible records
(``selectors``), and every location passes through ``shown_location``.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gravesdb.sites.choices import SiteStatus
from gravesdb.sites.locations import can_see_exact_location, shown_location
from gravesdb.sites.models import Site, VictimEstimate
from gravesdb.sources.models import Organization, Source

from . import dossier
from .chips import active_filter_chips
from .forms import accessible
from .map import STATUS_COLOURS
from .selectors import SITE_SORTS, filtered_sites, sites_citing, visible_citations, visible_sites

PAGE_SIZES = (25, 50, 100, 200)
# The exchange app's site report, if installed, exports exactly the filtered list. The
# workspace knows only its URL and parameters (docs/exchange.md), never its code.
SITE_REPORT_URL_NAME = "exchange:site_report"
SITE_REPORT_MENU = [
    (_("Site report"), {}, [("CSV", {}), (_("CSV for Excel"), {"excel": "1"}), ("XLSX", {"format": "xlsx"}),
                            ("JSON", {"format": "json"}), ("GeoJSON", {"format": "geojson"})]),
    (_("Estimates report"), {"estimates": "1"}, [("CSV", {}), ("XLSX", {"format": "xlsx"}), ("JSON", {"format": "json"})]),
]


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[1]))
    except ValueError:
        return PAGE_SIZES[1]
    return size if size in PAGE_SIZES else PAGE_SIZES[1]


def _site_report_menu(user, filter_query: str) -> list[dict]:
    """Links to each report and format of the filtered sites, each with its manifest."""
    if not user.has_perm("sites.export_site"):
        return []
    try:
        url = reverse(SITE_REPORT_URL_NAME)
    except NoReverseMatch:
        return []

    def link(*options):
        query = QueryDict(filter_query, mutable=True)
        for option in options:
            for name, value in option.items():
                query[name] = value
        return f"{url}?{query.urlencode()}" if query else url

    return [
        {
            "label": report_label,
            "links": [
                {"label": label, "url": link(report, chosen), "manifest_url": link(report, chosen, {"manifest": "1"})}
                for label, chosen in formats
            ],
        }
        for report_label, report, formats in SITE_REPORT_MENU
    ]


@login_required
def site_list(request):
    filterset, sites, sort = filtered_sites(request.user, request.GET, sort=request.GET.get("sort", ""))
    accessible(filterset.form)
    page = Paginator(sites, _page_size(request)).get_page(request.GET.get("page"))
    exact = can_see_exact_location(request.user)
    dossier_url = dossier.dossier_urls()
    rows = [(site, shown_location(site, exact=exact), dossier_url(site.reference_code)) for site in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/site_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": rows,
            "chips": active_filter_chips(filterset, request.GET),
            "sort": sort,
            "sorts": [(key, label) for key, (label, _order) in SITE_SORTS.items()],
            "page_sizes": PAGE_SIZES,
            "per_page": page.paginator.per_page,
            "query": query.urlencode(),
            "filter_query": _filter_query(request.GET),
            "site_reports": _site_report_menu(request.user, _filter_query(request.GET)),
        },
    )


def _filter_query(params) -> str:
    """The query string of the filters alone, for links to the map and the export."""
    query = params.copy()
    for key in ("page", "per_page", "sort"):
        query.pop(key, None)
    return query.urlencode()


@login_required
def site_map(request):
    filterset, _sites, _sort = filtered_sites(request.user, request.GET)
    accessible(filterset.form)
    filter_query = _filter_query(request.GET)
    geojson_url = reverse("api:site-geojson")
    return render(
        request,
        "workspace/site_map.html",
        {
            "filterset": filterset,
            "chips": active_filter_chips(filterset, request.GET),
            "filter_query": filter_query,
            "geojson_url": f"{geojson_url}?{filter_query}" if filter_query else geojson_url,
            "tiles_url": settings.MAP_TILES_URL,
            "tiles_attribution": settings.MAP_TILES_ATTRIBUTION,
            "legend": [(status, label, STATUS_COLOURS[status]) for status, label in SiteStatus.choices],
            "status_colours": STATUS_COLOURS,
        },
    )


@login_required
def site_dossier(request, reference_code):
    site = get_object_or_404(
        Site.objects.visible_to(request.user).filter(archived_at__isnull=True).with_reconciled_range(),
        reference_code=reference_code,
    )
    if site.merged_into_id:
        survivor = visible_sites(request.user).filter(pk=site.merged_into_id).first()
        if survivor is None:
            raise Http404(_("This site was merged into one you cannot see."))
        return redirect("workspace:site_dossier", reference_code=survivor.reference_code)
    return render(request, "workspace/site_dossier.html", dossier.build(site, request.user))


@login_required
def organization_detail(request, pk):
    if not request.user.has_perm("sources.view_organization"):
        raise Http404
    organization = get_object_or_404(Organization, pk=pk, archived_at__isnull=True)
    sites = visible_sites(request.user)
    estimates = (
        VictimEstimate.objects.filter(producing_organization=organization, site__in=sites, archived_at__isnull=True)
        .with_superseded()
        .select_related("site", "citation__source")
        .by_site()
    )
    sources = Source.objects.filter(publisher=organization, archived_at__isnull=True).order_by(
        "-publication_date_earliest", "title"
    )
    return render(
        request,
        "workspace/organization_detail.html",
        {
            "organization": organization,
            "estimates": estimates,
            "sources": sources,
            "can_change": request.user.has_perm("sources.change_organization"),
        },
    )


@login_required
def source_detail(request, pk):
    if not request.user.has_perm("sources.view_source"):
        raise Http404
    source = get_object_or_404(Source.objects.select_related("publisher"), pk=pk, archived_at__isnull=True)
    sites = visible_sites(request.user)
    estimates = (
        VictimEstimate.objects.filter(citation__source=source, site__in=sites, archived_at__isnull=True)
        .with_superseded()
        .select_related("site", "producing_organization", "citation")
        .by_site()
    )
    cited_sites = sites_citing(source, request.user).order_by("reference_code")
    citations = visible_citations(request.user).filter(source=source).order_by("locator", "created_at")
    return render(
        request,
        "workspace/source_detail.html",
        {
            "source": source,
            "estimates": estimates,
            "sites": cited_sites,
            "citations": citations,
            "can_change": request.user.has_perm("sources.change_source"),
        },
    )

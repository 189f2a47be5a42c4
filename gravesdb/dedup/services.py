"""Finding duplicate sites, and merging them without losing a citation.

A merge never deletes: the merged-away sites stay, pointing at the survivor
(``merged_into``), and every row that named them (estimates, citations, testimony
links, relations, and whatever later models point at a site) is moved to the
survivor, with its prior state kept in the merge record so the merge can be
undone exactly. Status changes are the exception: a status change is a
permanent, dated step of the site it was recorded for (the database refuses to
rewrite one), so each site keeps its own status history and the merge record
lists it.
"""

import json
import time
from uuid import UUID
from collections import defaultdict
from dataclasses import dataclass

import pghistory.models
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import FloatField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gravesdb.core.choices import Sensitivity
from gravesdb.core.history import acting
from gravesdb.core.models import RecordedModel
from gravesdb.sites.choices import LocationPrecision
from gravesdb.sites.models import Site, SiteCitation, SiteStatusChange, VictimEstimate

from .matching import SOURCES_BONUS, Candidate, SiteProfile, candidate_pairs, score_pair
from .models import DistinctSitesJudgement, ExactJSONEncoder, SiteMerge, SiteMergeMember

# Pairs scoring at least this are proposed; chosen on the labelled set (docs/dedup.md).
PROPOSAL_THRESHOLD = 0.75

MERGE_PERMISSION = "sites.merge_site"

# The survivor takes each group of fields whole from one site, so a value never
# arrives without the values it depends on (an area without its country, a point
# without its precision).
MERGE_FIELD_GROUPS = {
    "name": (gettext_lazy("Name"), ("name",)),
    "place": (gettext_lazy("Country and areas"), ("country", "first_level_area", "second_level_area", "locality")),
    "location": (gettext_lazy("Coordinates and precision"), ("latitude", "longitude", "location_precision")),
    "site_type": (gettext_lazy("Site type"), ("site_type",)),
    "deposition": (gettext_lazy("Deposition"), ("deposition",)),
    "remains_state": (gettext_lazy("State of remains"), ("remains_state",)),
    "protection_status": (gettext_lazy("Protection status"), ("protection_status",)),
    "period": (gettext_lazy("Period of use"), ("period",)),
    "alleged_perpetrator": (gettext_lazy("Alleged perpetrator"), ("alleged_perpetrator",)),
    "first_reported_on": (gettext_lazy("Date first reported"), ("first_reported_on",)),
    "description": (gettext_lazy("Description"), ("description",)),
}

_PRECISION_ORDER = [
    LocationPrecision.EXACT,
    LocationPrecision.APPROXIMATE,
    LocationPrecision.LOCALITY,
    LocationPrecision.DISTRICT,
    LocationPrecision.UNKNOWN,
]
_SENSITIVITY_ORDER = [Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL]
# Columns that record who touched a row and when, not what the record says.
_PROVENANCE = {"updated_at", "updated_by", "version"}
# Not restored by an undo: unchanged by a merge, or (``version``) moved on by the
# database itself on every change, so an editor holding the merged state is refused.
_NOT_RESTORED = {"id", "reference_code", "created_at", "created_by", "status", "version"}


# --- Finding candidates ------------------------------------------------------------------


@dataclass
class DuplicateSearch:
    candidates: list[Candidate]
    sites_screened: int
    pairs_scored: int
    seconds: float
    phases: dict[str, float]

    @property
    def all_pairs(self) -> int:
        return self.sites_screened * (self.sites_screened - 1) // 2


def find_duplicate_sites(*, sites=None, min_score: float = PROPOSAL_THRESHOLD) -> DuplicateSearch:
    """Pairs of current sites that may be one grave, best first, with the parts of each score.

    ``sites`` narrows the screening to a queryset (an area, what a user may see);
    pairs judged "not the same site" are never proposed again, also after either
    site was merged into another.
    """
    started = time.perf_counter()
    phases = {}

    def lap(name):
        phases[name] = time.perf_counter() - started - sum(phases.values())

    scope = Site.objects.current()
    if sites is not None:
        scope = scope.filter(pk__in=sites.values("pk"))
    profiles = _profiles(scope)
    lap("read sites")
    pairs = candidate_pairs(profiles)
    lap("blocking")
    # First without sources (a query per site would dominate), then again with the
    # sources of the few pairs a shared source could still lift over the threshold.
    within_reach = [(i, j) for i, j in pairs if score_pair(profiles[i], profiles[j], 0, min_score - SOURCES_BONUS)]
    lap("scoring")
    sources = _sources_by_site({profiles[i].id for pair in within_reach for i in pair})
    lap("read sources")
    judged = judged_distinct_pairs()
    none = frozenset()
    candidates = []
    for i, j in within_reach:
        a, b = profiles[i], profiles[j]
        candidate = score_pair(a, b, len(sources.get(a.id, none) & sources.get(b.id, none)), min_score)
        if candidate is not None and frozenset((a.id, b.id)) not in judged:
            candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.score, str(c.site_a), str(c.site_b)))
    lap("rescoring with sources")
    return DuplicateSearch(
        candidates=candidates,
        sites_screened=len(profiles),
        pairs_scored=len(pairs),
        seconds=time.perf_counter() - started,
        phases=phases,
    )


def _profiles(scope) -> list[SiteProfile]:
    rows = (
        scope.order_by("reference_code")
        .annotate(lat=Cast("latitude", FloatField()), lon=Cast("longitude", FloatField()))
        .values_list(
            "id",
            "reference_code",
            "name",
            "alternative_names",
            "country",
            "first_level_area",
            "lat",
            "lon",
            "location_precision",
            "period_earliest",
            "period_latest",
            "site_type",
        )
    )
    return [
        SiteProfile(
            id=pk,
            reference_code=code,
            names=(name, *alternatives),
            country=country,
            area=area,
            latitude=lat,
            longitude=lon,
            precision=precision,
            period_earliest=earliest,
            period_latest=latest,
            site_type=site_type,
        )
        for pk, code, name, alternatives, country, area, lat, lon, precision, earliest, latest, site_type in rows
    ]


_SOURCES_SQL = """
    SELECT e.site_id, c.source_id FROM sites_victimestimate e
    JOIN sources_citation c ON c.id = e.citation_id WHERE e.site_id = ANY(%(ids)s::uuid[])
    UNION
    SELECT sc.site_id, c.source_id FROM sites_sitecitation sc
    JOIN sources_citation c ON c.id = sc.citation_id WHERE sc.site_id = ANY(%(ids)s::uuid[])
"""


def _sources_by_site(site_ids) -> dict:
    """The distinct sources behind each site: through its estimates' and its own citations."""
    sources = defaultdict(set)
    ids = [str(pk) for pk in site_ids]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 20_000):
            cursor.execute(_SOURCES_SQL, {"ids": ids[start : start + 20_000]})
            for site_id, source_id in cursor.fetchall():
                sources[UUID(str(site_id))].add(source_id)
    return sources


def survivor_map() -> dict:
    """For every merged-away site, the current site its code leads to (following chains)."""
    merged = dict(Site.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    resolved = {}
    for site_id in merged:
        target, seen = site_id, set()
        while target in merged and target not in seen:
            seen.add(target)
            target = merged[target]
        resolved[site_id] = target
    return resolved


def judged_distinct_pairs() -> set[frozenset]:
    """Every "not the same site" pair, carried over to the survivors of later merges."""
    survivors = survivor_map()
    return {
        frozenset((survivors.get(a, a), survivors.get(b, b)))
        for a, b in DistinctSitesJudgement.objects.values_list("site_a_id", "site_b_id")
    }


def sites_judge_distinct(*, site_a: Site, site_b: Site, reason: str, actor) -> DistinctSitesJudgement:
    """Record that two proposed duplicates are different graves, so they are not proposed again."""
    _require_merge_permission(actor)
    if site_a.pk == site_b.pk:
        raise ValidationError(_("A site cannot be judged different from itself."))
    if not reason.strip():
        raise ValidationError(_("Say why the two sites are different graves."))
    first, second = sorted((site_a, site_b), key=lambda s: str(s.pk))
    with transaction.atomic(), acting(actor, reason=reason):
        judgement, _created = DistinctSitesJudgement.objects.get_or_create(
            site_a=first, site_b=second, defaults={"reason": reason, "created_by": actor, "updated_by": actor}
        )
    return judgement


# --- Merging -------------------------------------------------------------------------


def merge_defaults(sites: list[Site]) -> dict[str, Site]:
    """The value a careful person would keep for each group, before they choose.

    The first site (the proposed survivor) wins unless it has nothing to say; the
    most precise point wins the location, and the earliest report date wins.
    """
    survivor = sites[0]
    defaults = {}
    for group, (_label, fields) in MERGE_FIELD_GROUPS.items():
        defaults[group] = next((s for s in sites if _group_has_value(s, fields)), survivor)
    placed = [s for s in sites if s.latitude is not None]
    if placed:
        defaults["location"] = min(placed, key=lambda s: _PRECISION_ORDER.index(s.location_precision))
    reported = [s for s in sites if s.first_reported_on]
    if reported:
        defaults["first_reported_on"] = min(reported, key=lambda s: s.first_reported_on)
    return defaults


def _group_has_value(site, fields) -> bool:
    for name in fields:
        field = Site._meta.get_field(name)
        value = getattr(site, name)
        if value not in (None, "", []) and not (field.has_default() and value == field.get_default()):
            return True
    return False


def sites_merge(*, survivor: Site, merged: list[Site], choices: dict | None = None, reason: str, actor) -> SiteMerge:
    """Merge ``merged`` into ``survivor`` as one audited action; returns the merge record.

    ``choices`` maps a group of ``MERGE_FIELD_GROUPS`` to the site whose values the
    survivor takes (default: ``merge_defaults``). The losers' names become
    alternative names of the survivor and the strictest sensitivity wins, so a
    confidential site never becomes visible by being merged into a public one.
    """
    _require_merge_permission(actor)
    if not reason.strip():
        raise ValidationError(_("Say why these sites are one grave."))
    with transaction.atomic(), acting(actor, reason=reason):
        ids = [survivor.pk, *(s.pk for s in merged)]
        if len(set(ids)) != len(ids) or len(ids) < 2:
            raise ValidationError(_("Choose a surviving site and at least one other, each once."))
        locked = {s.pk: s for s in Site.objects.select_for_update().filter(pk__in=ids)}
        for site in locked.values():
            if site.merged_into_id or site.archived_at:
                raise ValidationError(
                    _("%(site)s is no longer in the live record (merged or archived).") % {"site": site}
                )
        survivor = locked[survivor.pk]
        losers = [locked[s.pk] for s in merged]
        sites = [survivor, *losers]
        choices = {**merge_defaults(sites), **(choices or {})}
        chosen = {}
        for group, site in choices.items():
            if group not in MERGE_FIELD_GROUPS or site.pk not in locked:
                raise ValidationError(_("“%(group)s” cannot be taken from that site.") % {"group": group})
            chosen[group] = locked[site.pk]
        now = timezone.now()
        before = {
            "stamped_at": now,
            "sites": {str(s.pk): _site_state(s) for s in sites},
            "status_histories": {str(s.pk): _status_history(s) for s in sites},
        }

        known_names = [name for s in sites for name in (*s.alternative_names, s.name)]
        for group, site in chosen.items():
            for name in MERGE_FIELD_GROUPS[group][1]:
                setattr(survivor, name, getattr(site, name))
        survivor.alternative_names = [n for n in dict.fromkeys(known_names) if n != survivor.name]
        survivor.sensitivity = max((s.sensitivity for s in sites), key=_SENSITIVITY_ORDER.index)
        survivor.stamp(actor)
        survivor.full_clean(validate_unique=False)
        survivor.save()

        moved, kept = _move_rows(survivor=survivor, losers=losers, actor=actor, now=now)
        for loser in losers:
            loser.merged_into = survivor
            loser.stamp(actor)
            loser.save(update_fields=["merged_into", "updated_at", "updated_by"])

        before["moved_rows"], before["kept_rows"] = moved, kept
        record = SiteMerge(
            survivor=survivor,
            reason=reason,
            field_choices={group: str(site.pk) for group, site in chosen.items()},
            before=_jsonable(before),
            after=_evidence(_site_state(survivor)),
        )
        record.stamp(actor)
        record.save()
        for loser in losers:
            member = SiteMergeMember(merge=record, site=loser)
            member.stamp(actor)
            member.save()
    return record


def _status_history(site: Site) -> dict:
    steps = site.status_changes.order_by("created_at", "pk").values_list("pk", flat=True)
    return {"status": site.status, "status_changes": [str(pk) for pk in steps]}


def _site_state(site: Site) -> dict:
    return {
        field.attname: getattr(site, field.attname)
        for field in Site._meta.concrete_fields
        if field.name != "id" and not field.generated  # search columns follow the names
    }


def _evidence(state: dict) -> dict:
    """A site's state without its provenance columns, JSON-shaped for comparison."""
    return {
        name: _jsonable(value)
        for name, value in state.items()
        if name.removesuffix("_id") not in _PROVENANCE
    }


def _jsonable(value):
    return json.loads(json.dumps(value, cls=ExactJSONEncoder))


# Rows that point at a site but are not moved by a merge, and why.
def _not_moved(relation) -> bool:
    model = relation.related_model
    if issubclass(model, pghistory.models.Event):
        return True  # history is never rewritten
    if model is Site:
        return True  # sites merged earlier into a loser resolve to the survivor through the chain
    if model is SiteStatusChange:
        return True  # permanent steps of the site they were recorded for (the database refuses updates)
    return model._meta.app_label == "dedup"  # the dedup record itself


def site_links() -> dict[type, list[str]]:
    """Every model with a foreign key to Site whose rows a merge moves, with those keys.

    Found from the model graph rather than listed, so a model added later that
    points at a site (an attachment, a bookmark) is moved too without anyone
    remembering to add it here.
    """
    links = defaultdict(list)
    for relation in Site._meta.related_objects:
        if relation.many_to_many or _not_moved(relation):
            continue
        links[relation.related_model].append(relation.field.name)
    return dict(links)


def _move_rows(*, survivor: Site, losers: list[Site], actor, now):
    loser_ids = {s.pk for s in losers}
    moved, kept = [], []
    for model, fields in site_links().items():
        label = model._meta.label_lower
        recorded = issubclass(model, RecordedModel)
        rows = model.objects.filter(_any_field_in(fields, loser_ids)).order_by(
            *(["created_at"] if recorded else []), "pk"
        )
        for row in rows:
            old = {name: getattr(row, f"{name}_id") for name in fields}
            new = {name: survivor.pk if value in loser_ids else value for name, value in old.items()}
            changed = {name: value for name, value in new.items() if value != old[name]}
            why = _why_not_movable(model, row, new, changed)
            if why:
                kept.append({"model": label, "pk": str(row.pk), "sites": _str_values(old), "why": why})
                continue
            update = {f"{name}_id": value for name, value in changed.items()}
            if recorded:
                update.update(updated_at=now, updated_by=actor)
            model.objects.filter(pk=row.pk).update(**update)
            entry = {"model": label, "pk": str(row.pk), "fields": _str_values({n: old[n] for n in changed})}
            if recorded:
                entry.update(updated_at=row.updated_at, updated_by=row.updated_by_id, version=row.version)
            moved.append(entry)
    return moved, kept


def _any_field_in(fields, ids) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__in": ids})
    return condition


def _str_values(values: dict) -> dict:
    return {name: str(value) if value is not None else None for name, value in values.items()}


def _why_not_movable(model, row, new, changed) -> str:
    """Why moving this row would break a rule of the database, or "" if it can move."""
    if len(new) > 1 and len(set(new.values())) < len(new):
        return _("it would relate the surviving site to itself")
    for fields in _unique_field_sets(model):
        if not any(name in changed for name in fields):
            continue
        key = {name: new.get(name, getattr(row, model._meta.get_field(name).attname)) for name in fields}
        if model.objects.filter(**key).exclude(pk=row.pk).exists():
            return _("the surviving site already has the same %(what)s") % {"what": model._meta.verbose_name}
    return ""


def _unique_field_sets(model):
    sets = [tuple(fields) for fields in model._meta.unique_together]
    sets += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
    ]
    sets += [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    return sets


# --- Undoing ---------------------------------------------------------------------------


def merge_undo(*, merge: SiteMerge, reason: str, actor) -> SiteMerge:
    """Put the sites back exactly as they were before ``merge``; the merge and its undoing stay on record.

    Refused when later work depends on the merge (a later merge involving these
    sites, an edit of the survivor, a moved row moved again), because undoing
    would silently discard it; the message says what to undo first.
    """
    _require_merge_permission(actor)
    if not reason.strip():
        raise ValidationError(_("Say why the merge is undone."))
    with transaction.atomic(), acting(actor, reason=reason):
        merge = SiteMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.is_undone:
            raise ValidationError(_("This merge was already undone."))
        site_ids = list(merge.before["sites"])
        sites = {str(s.pk): s for s in Site.objects.select_for_update().filter(pk__in=site_ids)}
        _check_nothing_depends_on(merge, sites)
        stamped_at = merge.before["stamped_at"]
        for entry in merge.before["moved_rows"]:
            model = _model(entry["model"])
            row = model.objects.get(pk=entry["pk"])
            update = {f"{name}_id": value for name, value in entry["fields"].items()}
            if "updated_at" in entry:
                if _jsonable(row.updated_at) == stamped_at:  # untouched since the merge
                    update.update(
                        updated_at=_field_value(model, "updated_at", entry["updated_at"]),
                        updated_by_id=entry["updated_by"],
                    )
                else:
                    update.update(updated_at=timezone.now(), updated_by=actor)
            model.objects.filter(pk=row.pk).update(**update)
        for site_id, state in merge.before["sites"].items():
            restore = {
                name: _field_value(Site, name, value)
                for name, value in state.items()
                if name.removesuffix("_id") not in _NOT_RESTORED
            }
            Site.objects.filter(pk=site_id).update(**restore)
        merge.undone_at = timezone.now()
        merge.undone_by = actor
        merge.undo_reason = reason
        merge.stamp(actor)
        merge.save()
    return merge


def _check_nothing_depends_on(merge: SiteMerge, sites: dict) -> None:
    ids = [str(pk) for pk in merge.before["sites"]]
    later = (
        SiteMerge.objects.filter(undone_at__isnull=True, created_at__gt=merge.created_at)
        .filter(Q(survivor_id__in=ids) | Q(members__site_id__in=ids))
        .distinct()
        .first()
    )
    if later:
        raise ValidationError(_("Undo the later merge first: %(merge)s (%(when)s).") % {"merge": later, "when": later.created_at})
    expected = {str(merge.survivor_id): merge.after}
    for site_id, state in merge.before["sites"].items():
        if site_id != str(merge.survivor_id):
            expected[site_id] = {**_evidence(state), "merged_into_id": str(merge.survivor_id)}
    for site_id, state in expected.items():
        now = _evidence(_site_state(sites[site_id]))
        changed = sorted(name for name, value in state.items() if now.get(name) != value)
        if changed:
            raise ValidationError(
                _("%(site)s was changed after the merge (%(fields)s); revert those changes first.")
                % {"site": sites[site_id], "fields": ", ".join(changed)}
            )
    for entry in merge.before["moved_rows"]:
        model = _model(entry["model"])
        row = model.objects.filter(pk=entry["pk"]).first()
        if row is None or any(getattr(row, f"{name}_id") != merge.survivor_id for name in entry["fields"]):
            raise ValidationError(
                _("A moved %(what)s (%(pk)s) no longer belongs to the surviving site; move it back first.")
                % {"what": model._meta.verbose_name, "pk": entry["pk"]}
            )


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def _field_value(model, attname, value):
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    if value is None or field.is_relation:
        return value
    return field.to_python(value)


def _require_merge_permission(actor) -> None:
    if actor is None or not actor.has_perm(MERGE_PERMISSION):
        raise PermissionDenied(_("Only a data manager may merge sites, undo a merge or judge duplicates."))

"""python manage.py generate_synthetic --sites N --seed S

A realistic database for benchmarks and demonstrations, the same for the same seed:
sites in Iraq, Syria and Spain with Arabic and Latin names and transliterations,
about five estimates, two citations and one testimony per site, with the skew real
lists have (most graves small and once reported, a few large and much cited), and
figures worded as sources word them (counts, "about", "at least", "up to", running
totals of exhumations).
Rows go in with bulk_create in batches; the database's triggers assign reference
codes and pseudonyms and record the history, as for any other write.
"""

import datetime
import math
import random
import uuid

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from gravesdb.core.history import acting
from gravesdb.exchange.progress import ProgressBar
from gravesdb.sites.choices import OPEN_ABOVE, OPEN_BELOW, FigureQualifier
from gravesdb.sites.models import Site, SiteCitation, SiteStatusChange, VictimEstimate
from gravesdb.sources.models import Citation, Organization, Source
from gravesdb.testimony.models import Consent, Testimony, TestimonySite, Witness

BATCH = 5000
AREAS = {
    "IQ": ["IQ-NI", "IQ-AN", "IQ-SD", "IQ-KI", "IQ-BG", "IQ-DI"],
    "SY": ["SY-RA", "SY-DY", "SY-HL", "SY-HI"],
    "ES": ["ES-AN", "ES-AR", "ES-AS", "ES-CL", "ES-CM", "ES-CT", "ES-EX", "ES-GA"],
}
# How sources bound their figures: mostly counts and "about"s, some bounds, a few not yet classified.
QUALIFIER_WEIGHTS = [
    (FigureQualifier.EXACT, 45), (FigureQualifier.APPROXIMATE, 33), (FigureQualifier.UNCLASSIFIED, 5),
    (FigureQualifier.AT_LEAST, 9), (FigureQualifier.MORE_THAN, 3), (FigureQualifier.UP_TO, 4),
    (FigureQualifier.FEWER_THAN, 1),
]
COUNTRY_WEIGHTS = [("IQ", 60), ("SY", 15), ("ES", 25)]
BOUNDS = {"IQ": (29.5, 37.0, 39.0, 48.0), "SY": (32.5, 37.0, 36.0, 42.0), "ES": (36.0, 43.5, -9.0, 3.0)}
ARABIC_PLACES = [
    ("al-Khasfa", "الخسفة"), ("Badush", "بادوش"), ("Kocho", "كوجو"), ("Hamam al-Alil", "حمام العليل"),
    ("Tal Afar", "تلعفر"), ("Sinjar", "سنجار"), ("Raqqa", "الرقة"), ("al-Hol", "الهول"), ("Qayyarah", "القيارة"),
    ("Bartella", "برطلة"), ("Hawija", "الحويجة"), ("Tikrit", "تكريت"), ("Deir ez-Zor", "دير الزور"),
    ("al-Shaddadi", "الشدادي"), ("Manbij", "منبج"), ("Tabqa", "الطبقة"),
]
ARABIC_KINDS = [("grave", "مقبرة"), ("pit", "حفرة"), ("well", "بئر"), ("ravine", "وادي")]
SPANISH_PLACES = ["Víznar", "Alfacar", "Paterna", "Calatayud", "Teruel", "Oviedo", "Badajoz", "Valladolid", "Ocaña", "Lleida"]
SPANISH_KINDS = ["Fosa del cementerio de", "Fosa en el paraje de", "Pozo de", "Fosa común de"]
ORG_NAMES = [
    "Documentation Centre", "Forensic Team", "Human Rights Watch Office", "Commission for Missing Persons",
    "Asociación para la Recuperación de la Memoria Histórica", "Foro por la Memoria", "Local Council",
    "Medico-Legal Directorate", "Yazidi Survivors Network", "Grupo de Antropología Forense",
]
ARABIC_GIVEN = ["أحمد", "فاطمة", "محمد", "زينب", "علي", "مريم", "خالد", "نور"]
LATIN_GIVEN = ["Ahmed", "Fatima", "Mohammed", "Zainab", "Ali", "Maryam", "Carmen", "José", "Pilar", "Antonio"]


class Command(BaseCommand):
    help = "Build a realistic synthetic database (deterministic for a seed) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, sites, seed, **options):
        generator = Synthetic(seed)
        bar = ProgressBar(f"Generating {sites:,} sites", stream=self.stderr)
        with acting(reason=f"generate_synthetic --sites {sites} --seed {seed}"):
            counts = generator.build(sites, progress=bar)
        bar.close()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, or the first reports get plans made for empty tables
        self.stdout.write(", ".join(f"{n:,} {name}" for name, n in counts.items()))


class Synthetic:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def figure(self) -> int:
        # Lognormal: most graves hold a handful of people, a few hold thousands.
        return max(1, int(math.exp(self.rng.gauss(2.3, 1.4))))

    def figures(self) -> dict:
        """An estimate's figures and qualifier, as the database's checks allow them.

        Mostly a count or an "about" (often with a range); about one in six a bound
        ("at least 300", "up to 40"), whose figure is the side it bounds and whose other
        side stays open; a few recorded before qualifiers existed, flagged approximate
        or not as their wording was. ``bulk_create`` skips ``save()``, so
        ``is_approximate`` is set here as the model would derive it.
        """
        rng = self.rng
        figure = self.figure()
        qualifier = rng.choices([q for q, _w in QUALIFIER_WEIGHTS], [w for _q, w in QUALIFIER_WEIGHTS])[0]
        if qualifier in OPEN_ABOVE:
            return {"low": figure, "qualifier": qualifier}
        if qualifier in OPEN_BELOW:
            return {"high": figure, "qualifier": qualifier}
        if qualifier == FigureQualifier.EXACT:
            return {"best": figure, "qualifier": qualifier}
        spread = rng.random()
        return {
            "low": int(figure * (1 - spread / 2)) if rng.random() < 0.4 else None,
            "best": figure,
            "high": int(figure * (1 + spread)) + 1 if rng.random() < 0.4 else None,
            "qualifier": qualifier,
            "is_approximate": qualifier == FigureQualifier.APPROXIMATE or (
                qualifier == FigureQualifier.UNCLASSIFIED and rng.random() < 0.5
            ),
        }

    def build(self, n_sites: int, progress=None) -> dict:
        rng = self.rng
        counts = dict.fromkeys(["organisations", "sources", "sites", "estimates", "citations", "testimonies"], 0)
        with transaction.atomic():
            organizations = [
                Organization(id=self.uid(), name=f"{rng.choice(ORG_NAMES)} {i + 1}", kind=rng.choice(
                    ["ngo", "un_body", "government", "forensic_team", "media", "community_group"]),
                    country=rng.choice(["IQ", "SY", "ES", ""]))
                for i in range(max(20, n_sites // 500))
            ]
            Organization.objects.bulk_create(organizations)
            sources = [
                Source(id=self.uid(), title=f"Report on mass graves no. {i + 1}", kind=rng.choice(
                    ["report", "news_article", "forensic_report", "dataset", "press_release"]),
                    publisher=self._skewed(organizations), publication_date=f"{rng.randint(2003, 2024)}",
                    publication_date_earliest=datetime.date(2003, 1, 1), language=rng.choice(["en", "ar", "es"]),
                    reliability=rng.choice("ABCDEF"))
                for i in range(max(50, n_sites // 20))
            ]
            Source.objects.bulk_create(sources, batch_size=BATCH)
            counts["organisations"], counts["sources"] = len(organizations), len(sources)
        for start in range(0, n_sites, BATCH):
            with transaction.atomic():
                added = self._batch(start, min(BATCH, n_sites - start), organizations, sources)
            for key, value in added.items():
                counts[key] += value
            if progress:
                progress(start + min(BATCH, n_sites - start), n_sites)
        return counts

    def _skewed(self, items):
        # Zipf-like: the first organisations and sources are cited far more than the rest.
        return items[min(len(items) - 1, int(len(items) * self.rng.random() ** 3))]

    def _site(self, index):
        rng = self.rng
        country = rng.choices([c for c, _w in COUNTRY_WEIGHTS], [w for _c, w in COUNTRY_WEIGHTS])[0]
        if country == "ES":
            place = rng.choice(SPANISH_PLACES)
            name, alternatives = f"{rng.choice(SPANISH_KINDS)} {place}", [f"Fosa de {place}"]
        else:
            latin, arabic = rng.choice(ARABIC_PLACES)
            kind, kind_ar = rng.choice(ARABIC_KINDS)
            name = f"{latin} {kind} {index + 1}"
            alternatives = [f"{kind_ar} {arabic}", latin.replace("al-", "Al ")]
        south, north, west, east = BOUNDS[country]
        located = rng.random() < 0.8
        return Site(
            id=self.uid(), name=name, alternative_names=alternatives, country=country,
            first_level_area=rng.choice(AREAS[country]), locality=name.split()[-1],
            latitude=round(rng.uniform(south, north), 6) if located else None,
            longitude=round(rng.uniform(west, east), 6) if located else None,
            location_precision=rng.choice(["exact", "approximate", "locality"]) if located else "unknown",
            site_type=rng.choice(["pit", "trench", "sinkhole", "well", "cemetery", "open_ground", "other"]),
            status="reported", sensitivity=rng.choices(["public", "restricted", "confidential"], [50, 45, 5])[0],
            period=f"{rng.randint(1936, 1945) if country == 'ES' else rng.randint(2013, 2017)}",
        )

    def _batch(self, start, size, organizations, sources):
        rng = self.rng
        sites = [self._site(start + i) for i in range(size)]
        for site in sites:
            site.period_earliest = datetime.date(int(site.period), 1, 1)
            site.period_latest = datetime.date(int(site.period), 12, 31)
        Site.objects.bulk_create(sites)
        citations, site_citations, estimates, statuses = [], [], [], []
        witnesses, consents, testimonies, links = [], [], [], []
        for site in sites:
            own = [
                Citation(id=self.uid(), source=self._skewed(sources), locator=f"p. {rng.randint(1, 120)}",
                         quote=f"The grave at {site.name} holds the remains of victims.", supports=["existence", "count"])
                for _ in range(rng.choice([1, 2, 2, 2, 3]))
            ]
            citations += own
            site_citations.append(SiteCitation(id=self.uid(), site=site, citation=own[0]))
            statuses.append(SiteStatusChange(id=self.uid(), site=site, from_status="", to_status="reported",
                                             changed_on="2020-01-01", changed_on_earliest=datetime.date(2020, 1, 1),
                                             reason="Synthetic data", citation=own[0]))
            for _ in range(min(40, int(rng.expovariate(1 / 5)) + 1)):
                count_type = rng.choices(["reported", "estimated", "exhumed", "identified"], [45, 30, 15, 10])[0]
                year = rng.randint(2014, 2024)
                estimates.append(VictimEstimate(
                    id=self.uid(), site=site, count_type=count_type, **self.figures(),
                    # Exhumation and identification counts are often given "so far", as a series.
                    is_cumulative=count_type in ("exhumed", "identified") and rng.random() < 0.3,
                    as_of=f"{year}", as_of_earliest=datetime.date(year, 1, 1), as_of_latest=datetime.date(year, 12, 31),
                    producing_organization=self._skewed(organizations), citation=rng.choice(own),
                ))
            for _ in range(int(rng.expovariate(1.0) + 0.5)):
                witness = Witness(id=self.uid(), role=rng.choice(["survivor", "eyewitness", "relative", "local_resident"]),
                                  age=rng.randint(18, 80), sex=rng.choice(["female", "male", "unknown"]))
                consent = Consent(id=self.uid(), witness=witness, given_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randint(0, 1500)),
                                  scope=rng.choice(["documentation_only", "named_partners", "legal_proceedings", "public_pseudonym"]),
                                  method=rng.choice(["written", "oral_recorded", "thumbprint"]))
                shareable = consent.scope != "documentation_only" and rng.random() < 0.5
                testimony = Testimony(id=self.uid(), witness=witness, consent=consent, is_shareable=shareable,
                                      summary=f"Saw the burials at {site.name}.", language=rng.choice(["ar", "ku", "es", "en"]),
                                      interviewer_description=f"{rng.choice(LATIN_GIVEN)} / {rng.choice(ARABIC_GIVEN)}",
                                      sensitivity=rng.choices(["restricted", "confidential"], [70, 30])[0])
                witnesses.append(witness)
                consents.append(consent)
                testimonies.append(testimony)
                links.append(TestimonySite(id=self.uid(), testimony=testimony, site=site))
        for model, rows in ((Citation, citations), (SiteCitation, site_citations), (SiteStatusChange, statuses),
                            (VictimEstimate, estimates), (Witness, witnesses), (Consent, consents),
                            (Testimony, testimonies), (TestimonySite, links)):
            model.objects.bulk_create(rows, batch_size=BATCH)
        return {"sites": len(sites), "estimates": len(estimates), "citations": len(citations), "testimonies": len(testimonies)}

"""Organisations, sources and citations: what the database refuses and what it computes."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection

from gravesdb.sources.models import Citation, Organization
from tests.core.db import refused_by_database, update_row
from tests.factories import CitationFactory, OrganizationFactory, SourceFactory

pytestmark = pytest.mark.django_db


class TestOrganizationConstraints:
    def test_two_organisations_cannot_share_a_name(self):
        OrganizationFactory(name="Human Rights Watch")
        with refused_by_database("sources_organization_name"):
            Organization.objects.bulk_create([Organization(name="Human Rights Watch", kind="ngo")])

    def test_name_cannot_be_blank(self):
        organization = OrganizationFactory()
        with refused_by_database("organization_name_not_blank"):
            update_row(organization, name="")

    @pytest.mark.parametrize("country", ["iq", "I", "1Q"])
    def test_country_must_be_two_capital_letters(self, country):
        organization = OrganizationFactory()
        with refused_by_database("organization_country_iso_alpha2"):
            update_row(organization, country=country)

    def test_country_may_be_left_blank(self):
        organization = OrganizationFactory()
        assert update_row(organization, country="") == 1


class TestOrganizationValidation:
    def test_unknown_country_code_is_explained(self):
        organization = OrganizationFactory.build(country="XX")
        with pytest.raises(ValidationError) as error:
            organization.full_clean()
        assert "“XX” is not an ISO 3166-1 alpha-2 country code" in str(error.value.message_dict["country"])

    def test_duplicate_name_is_explained(self):
        OrganizationFactory(name="Amnesty International")
        with pytest.raises(ValidationError) as error:
            OrganizationFactory.build(name="Amnesty International").full_clean()
        assert "name" in error.value.message_dict


class TestSourceConstraints:
    def test_title_cannot_be_blank(self):
        source = SourceFactory()
        with refused_by_database("source_title_not_blank"):
            update_row(source, title="")

    @pytest.mark.parametrize("grade", ["G", "a", "1"])
    def test_reliability_must_be_an_admiralty_letter(self, grade):
        source = SourceFactory()
        with refused_by_database("source_reliability_valid"):
            update_row(source, reliability=grade)

    def test_file_digest_must_be_a_sha256(self):
        source = SourceFactory()
        with refused_by_database("source_file_sha256_hex"):
            update_row(source, file_sha256="not-a-digest")


class TestSource:
    def test_archived_file_gets_its_sha256_and_size_on_save(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        content = "Iraqi forces found a mass grave near Mosul.".encode()
        source = SourceFactory()
        source.archived_file.save("article.html", ContentFile(content), save=True)

        source.refresh_from_db()
        assert source.file_sha256 == hashlib.sha256(content).hexdigest()
        assert source.file_size == len(content)

    def test_publication_date_is_stored_as_its_first_day(self):
        source = SourceFactory(publication_date="2017-02")
        source.refresh_from_db()
        assert str(source.publication_date_earliest) == "2017-02-01"

    def test_invalid_publication_date_is_explained(self):
        with pytest.raises(ValidationError) as error:
            SourceFactory.build(publication_date="last winter").full_clean(exclude=["publisher"])
        assert "is not an EDTF date" in str(error.value.message_dict["publication_date"])


class TestCitationConstraints:
    def test_quote_cannot_be_blank(self):
        with refused_by_database("citation_quote_not_blank"):
            Citation.objects.bulk_create([Citation(source=SourceFactory(), quote="")])

    @pytest.mark.parametrize("credibility", [0, 7])
    def test_credibility_is_graded_1_to_6(self, credibility):
        with refused_by_database("citation_credibility_1_6"):
            Citation.objects.bulk_create(
                [Citation(source=SourceFactory(), quote="some 4,000 bodies", credibility=credibility)]
            )

    def test_supports_only_known_fields(self):
        citation = CitationFactory()
        with refused_by_database("citation_supports_known_fields"):
            update_row(citation, supports=["count", "rumour"])


class TestCitationIsNeverRewritten:
    """A correction is a new citation; the old one keeps saying what it said."""

    @pytest.mark.parametrize(
        "change",
        [
            {"quote": "some 40 bodies"},
            {"locator": "p. 99"},
            pytest.param("source", id="source"),
        ],
        ids=["quote", "locator", "source"],
    )
    def test_the_passage_cannot_change_after_save(self, change):
        citation = CitationFactory()
        if change == "source":
            change = {"source": SourceFactory()}
        with refused_by_database("Cannot update rows from sources_citation table"):
            update_row(citation, **change)

    def test_raw_sql_cannot_rewrite_the_quote_either(self):
        citation = CitationFactory()
        with refused_by_database("Cannot update rows from sources_citation table"):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE sources_citation SET quote = 'edited' WHERE id = %s", [citation.pk])

    def test_credibility_and_notes_may_be_reassessed(self):
        citation = CitationFactory(credibility=6)
        citation.credibility = 2
        citation.notes = "Confirmed by the forensic team's report."
        citation.save()

        citation.refresh_from_db()
        assert (citation.credibility, citation.notes) == (2, "Confirmed by the forensic team's report.")


class TestCitationValidation:
    def test_unknown_supported_field_is_explained(self):
        citation = CitationFactory.build(supports=["rumour"])
        with pytest.raises(ValidationError) as error:
            citation.full_clean(exclude=["source"])
        assert "supports" in error.value.message_dict

    def test_credibility_out_of_range_is_explained(self):
        citation = CitationFactory.build(credibility=7)
        with pytest.raises(ValidationError) as error:
            citation.full_clean(exclude=["source"])
        assert "credibility" in error.value.message_dict


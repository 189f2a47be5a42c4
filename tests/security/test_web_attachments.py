"""Evidence files: checked at upload, hashed, kept out of the web root, served only to those allowed."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from gravesdb.sources.models import Source
from tests.factories import SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _add_source(client, upload):
    return client.post(
        reverse("admin:sources_source_add"),
        {"title": "UNAMI report on Khasfa", "kind": Source._meta.get_field("kind").choices[0][0], "reliability": "B",
         "archived_file": upload, "change_reason": "Archived copy of the report"},
    )


def test_an_upload_is_hashed_sized_and_stored_outside_the_web_root(client_for, researcher, media, settings):
    response = _add_source(client_for(researcher), SimpleUploadedFile("unami.pdf", PDF, "application/pdf"))
    assert response.status_code == 302
    source = Source.objects.get(title="UNAMI report on Khasfa")
    assert source.file_sha256 == hashlib.sha256(PDF).hexdigest() and source.file_size == len(PDF)
    stored = media / source.archived_file.name
    assert stored.read_bytes() == PDF
    assert settings.STATIC_ROOT not in stored.parents
    assert source.archived_file.url == f"/attachments/{source.archived_file.name}"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("report.html", b"<p>hello</p>", "are not accepted"),
        ("report.exe", b"MZ\x90\x00", "are not accepted"),
        ("report.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "web page markup"),
        ("diagram.svg", b"<svg onload=alert(1)>", "are not accepted"),
    ],
)
def test_files_of_the_wrong_kind_are_refused_with_a_message(client_for, researcher, name, content, message):
    response = _add_source(client_for(researcher), SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Source.objects.exists()


def test_files_over_the_size_limit_are_refused(client_for, researcher, settings):
    settings.GRAVESDB_ATTACHMENT_MAX_BYTES = 32
    response = _add_source(client_for(researcher), SimpleUploadedFile("unami.pdf", PDF))
    assert "the limit is 32" in response.content.decode()
    assert not Source.objects.exists()


def test_a_replaced_file_gets_its_own_hash():
    source = SourceFactory(archived_file=SimpleUploadedFile("v1.pdf", PDF))
    source.archived_file = SimpleUploadedFile("v2.pdf", PDF + b"% revised\n")
    source.save()
    assert source.file_sha256 == hashlib.sha256(PDF + b"% revised\n").hexdigest()


def test_files_are_served_only_to_those_who_may_see_the_source(client, client_for, researcher):
    source = SourceFactory(archived_file=SimpleUploadedFile("unami.pdf", PDF))
    url = source.archived_file.url

    assert client.get(url).status_code == 302  # anonymous: to the login page
    stranger = UserFactory(username="stranger", is_staff=True)
    assert client_for(stranger).get(url).status_code == 404

    response = client_for(researcher).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_verify_attachments_reports_a_file_changed_on_disk(media, capsys):
    intact = SourceFactory(archived_file=SimpleUploadedFile("intact.pdf", PDF))
    tampered = SourceFactory(archived_file=SimpleUploadedFile("tampered.pdf", PDF))
    call_command("verify_attachments")
    assert "All 2 files match" in capsys.readouterr().out

    (media / tampered.archived_file.name).write_bytes(PDF.replace(b"Catalog", b"Catalogue"))
    (media / intact.archived_file.name).unlink()
    with pytest.raises(CommandError, match="2 of 2 files do not match"):
        call_command("verify_attachments")
    out = capsys.readouterr().out
    assert f"MISMATCH sources.Source {tampered.pk} ({tampered.archived_file.name}): SHA-256 is" in out
    assert f"sources.Source {intact.pk} ({intact.archived_file.name}): the file is missing" in out

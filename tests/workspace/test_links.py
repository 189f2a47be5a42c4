"""Dossier links filled in per row must be the links reverse() gives."""

from django.urls import reverse

from gravesdb.workspace.dossier import dossier_urls


def test_each_code_gets_the_url_reverse_gives():
    dossier_url = dossier_urls()
    for code in ["IQ-NI-0001", "BA-XX-12", "IQ NI 7", "ع-1", "a%b&c;d"]:
        assert dossier_url(code) == reverse("workspace:site_dossier", args=[code])

"""Start-up checks for what makes imports safe, so a missing piece is loud, not silent."""

from django.core import checks


@checks.register(checks.Tags.security)
def defusedxml_installed(app_configs, **kwargs):
    """openpyxl parses XLSX with the standard XML parser unless defusedxml is importable."""
    try:
        import defusedxml  # noqa: F401
        import openpyxl.xml
    except ImportError:
        return [checks.Error("defusedxml is not installed: XLSX imports would be open to XML bombs.", id="exchange.E001")]
    if not openpyxl.xml.DEFUSEDXML:
        return [checks.Error("openpyxl does not use defusedxml.", id="exchange.E002")]
    return []

"""Two-factor sign-in with TOTP (django-otp): who must use it, and the two pages to do so.

Which roles must is a setting (GRAVESDB_OTP_REQUIRED_ROLES), so an organisation
can require it of everyone handling witness data first and widen it later.
Superusers must whenever any role must. Enrolment shows the secret as text
(every authenticator app accepts it typed in), so no QR code library and no
inline script are needed.
"""

from base64 import b32encode
from urllib.parse import urlsplit

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


def needs_two_factor(user) -> bool:
    required = set(settings.GRAVESDB_OTP_REQUIRED_ROLES)
    if not required or not user.is_staff:
        return False
    return user.is_superuser or user.groups.filter(name__in=required).exists()


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return "/"
    return urlsplit(target)._replace(scheme="", netloc="").geturl() or "/"


@login_required
def verify(request):
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('two_factor:setup')}?next={_next(request)}")
    form = TokenForm(request.POST or None)
    if form.is_valid():
        device = django_otp.match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("That code is not valid. Codes change every 30 seconds; try the current one."))
    return TemplateResponse(
        request, "gravesdb/two_factor.html", {"form": form, "next": _next(request), "title": _("Two-factor sign-in")}
    )


@login_required
def setup(request):
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('two_factor:verify')}?next={_next(request)}")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator app"}
    )
    form = TokenForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("That code does not match. Check the key was typed exactly, then try the current code."))
    context = {
        "form": form,
        "next": _next(request),
        "title": _("Set up two-factor sign-in"),
        "secret": b32encode(device.bin_key).decode(),
        "config_url": device.config_url,
    }
    return TemplateResponse(request, "gravesdb/two_factor.html", context)


app_name = "two_factor"
urlpatterns = [path("verify/", verify, name="verify"), path("setup/", setup, name="setup")]

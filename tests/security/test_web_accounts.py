"""Accounts: throttled logins, two-factor for the roles that need it, expiring sessions, strong passwords."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_the_fifth_failed_login_locks_the_account_out_even_with_the_right_password(client):
    user = UserFactory(username="amira", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    login = reverse("admin:login")
    for _ in range(5):
        assert client.post(login, {"username": "amira", "password": "guess"}).status_code in (200, 429)
    locked = client.post(login, {"username": "amira", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_correct_login_before_the_limit_goes_through(client):
    user = UserFactory(username="amira", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    login = reverse("admin:login")
    for _ in range(3):
        client.post(login, {"username": "amira", "password": "guess"})
    assert client.post(login, {"username": "amira", "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@override_settings(GRAVESDB_OTP_REQUIRED_ROLES=["Data manager"])
def test_a_role_that_requires_two_factor_must_enrol_and_give_a_code(client_for, data_manager):
    client = client_for(data_manager)
    index = reverse("admin:index")
    first = client.get(index)
    assert first.status_code == 302 and first.url.startswith(reverse("two_factor:verify"))
    setup = client.get(first.url, follow=True)
    assert "Set up two-factor sign-in" in setup.content.decode()
    device = TOTPDevice.objects.get(user=data_manager)

    wrong = client.post(reverse("two_factor:setup"), {"token": "000000", "next": index})
    assert wrong.status_code == 200 and "does not match" in wrong.content.decode()
    assert client.get(index).status_code == 302

    # A wrong code slows the next try down (django-otp throttling), so codes cannot be guessed at speed.
    code = f"{totp(device.bin_key):06d}"
    assert client.post(reverse("two_factor:setup"), {"token": code, "next": index}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # as if the person waited
    assert client.post(reverse("two_factor:setup"), {"token": code, "next": index}).status_code == 302
    assert client.get(index).status_code == 200


@override_settings(GRAVESDB_OTP_REQUIRED_ROLES=["Data manager"])
def test_an_enrolled_user_gives_a_code_at_each_sign_in(client_for, data_manager):
    device = TOTPDevice.objects.create(user=data_manager, name="phone", confirmed=True)
    client = client_for(data_manager)
    index = reverse("admin:index")
    assert client.get(index).url.startswith(reverse("two_factor:verify"))
    assert client.post(reverse("two_factor:verify"), {"token": "123", "next": index}).status_code == 200
    assert client.get(index).status_code == 302
    assert client.post(reverse("two_factor:verify"), {"token": f"{totp(device.bin_key):06d}", "next": index}).status_code == 302
    assert client.get(index).status_code == 200


@override_settings(GRAVESDB_OTP_REQUIRED_ROLES=["Data manager"])
def test_roles_not_named_in_the_setting_sign_in_with_a_password(client_for, researcher):
    assert client_for(researcher).get(reverse("admin:index")).status_code == 200


@override_settings(GRAVESDB_OTP_REQUIRED_ROLES=["Data manager"])
def test_the_code_page_never_redirects_off_site(client_for, data_manager):
    device = TOTPDevice.objects.create(user=data_manager, name="phone", confirmed=True)
    client = client_for(data_manager)
    response = client.post(
        reverse("two_factor:verify"), {"token": f"{totp(device.bin_key):06d}", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == "/"


def test_sessions_expire_within_a_working_day_and_with_the_browser(client_for, researcher):
    client = client_for(researcher)
    client.get(reverse("admin:index"))
    assert client.session.get_expiry_age() <= 8 * 60 * 60
    assert client.session.get_expire_at_browser_close()


@pytest.mark.parametrize("password", ["password1234", "123456789012", "short", "amira2017amira"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, user=UserFactory.build(username="amira2017amira"))


def test_a_long_passphrase_is_accepted():
    validate_password(PASSWORD, user=UserFactory.build(username="amira"))

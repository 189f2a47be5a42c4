from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    """Attach the user and username to the history of every write request.

    All events of one request share one pghistory context UUID, which groups a
    site saved with its inline estimates and citations as NetBox's request id
    does; the username keeps the event readable if the account is later renamed.
    """

    def get_context(self, request):
        context = super().get_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["username"] = user.get_username()
        return context


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy that allows scripts from this site only.

    No 'unsafe-inline' for scripts: the admin (Django 5.2) and the workspace load
    every script from a file, so an injected <script> or onclick="" does not run
    even if some text escaped escaping. Inline styles stay allowed: admin widgets
    and the map set style attributes, and a style cannot run code.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.GRAVESDB_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class TwoFactorRequiredMiddleware:
    """Send staff in the roles named by GRAVESDB_OTP_REQUIRED_ROLES through TOTP before anything else.

    A stolen password alone then opens nothing: the session is not verified
    until a code from the person's authenticator app is given. Runs after
    django-otp's OTPMiddleware, which marks verified sessions.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import redirect
        from django.urls import reverse

        from gravesdb.core.two_factor import needs_two_factor

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and needs_two_factor(user):
            exempt = (reverse("two_factor:verify"), reverse("two_factor:setup"), reverse("admin:logout"))
            if request.path not in exempt and not request.path.startswith("/static/"):
                return redirect(f"{reverse('two_factor:verify')}?next={request.get_full_path()}")
        return self.get_response(request)

"""Authentication backends: failed logins are throttled wherever a web request logs in."""

from axes.backends import AxesStandaloneBackend


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for web logins only.

    Axes refuses to run without the request (it counts failures per account and
    address); a management command or the shell has none, and has nothing to
    throttle, so it is let through to the password check as before.
    """

    def authenticate(self, request, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)

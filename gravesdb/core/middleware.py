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

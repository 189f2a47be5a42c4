import uuid

from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    """Attach user, username and a request id to the history of every write request.

    The request id groups all events of one save (a site with its inline estimates
    and citations) as NetBox does for its change log; the username keeps the event
    readable even if the account is later deactivated.
    """

    def get_context(self, request):
        context = super().get_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["username"] = user.get_username()
        context["request_id"] = str(uuid.uuid4())
        return context

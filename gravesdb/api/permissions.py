from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """The admin's rule for the API: reading needs the model's view permission too.

    DRF's own class lets any authenticated user read; gravesdb's roles decide who
    may see what, so a GET needs ``view_<model>`` exactly as the admin's list does.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class IdentityPermissions(ModelPermissions):
    """Witness identities: the model permission and the explicit identity permission, as in the admin."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm("testimony.view_witness_identity")

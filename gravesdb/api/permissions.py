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

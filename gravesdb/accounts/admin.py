"""Accounts in the admin: each user's organisation beside their roles.

A membership decides which organisations' testimonies a user reads, so it is set
where the account and its groups are, by whoever may change users (a superuser).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Membership


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    max_num = 1
    extra = 0
    autocomplete_fields = ["organization"]
    verbose_name_plural = _("organisation")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class GravesdbUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [*UserAdmin.list_display, "organization"]
    list_select_related = ["membership__organization"]

    @admin.display(description=_("organisation"), ordering="membership__organization__name")
    def organization(self, user):
        membership = getattr(user, "membership", None)
        return membership.organization if membership else "—"

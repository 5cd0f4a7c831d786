"""Municipality accounts: which user speaks for which municipality, set through grants.services (the
users themselves are in users.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grants import services
from grants.models import Channel, MunicipalityAccount


@admin.register(MunicipalityAccount)
class MunicipalityAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "is_active")
    list_select_related = ("user", "municipality")
    autocomplete_fields = ("user", "municipality")
    search_fields = ("user__username", "municipality__search_key")

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj):
        return obj.user.is_active

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        account = services.municipality_account_set(
            user=obj.user, municipality=obj.municipality, actor=request.user, channel=Channel.ADMIN
        )
        obj.pk = account.pk
        obj._state.adding = False

"""The catalogue and the selections. Catalogue entries are saved through
projects.services.catalogue_project_save (audited) and retired by deactivation, never deleted:
applications refer to them. Selections are edited on their application's page."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from grants.admin.common import (
    AutocompleteFilter,
    FastActionCheckboxMixin,
    FoldedSearchMixin,
    ReadOnlyAdminMixin,
)
from grants.filters import CatalogueFilterSet, SelectionFilterSet
from grants.formatting import eur
from grants.models import Channel
from grants.pagination import EstimatedCountPaginator
from projects import services
from projects.models import CatalogueProject, Category, Selection


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Reference data from the published call (load_reference_data); read-only here.
    list_display = ("order", "title_el", "title_en")


@admin.register(CatalogueProject)
class CatalogueProjectAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ("code", "title_el", "title_en", "category", "official", "active")
    list_filter = ("category", "official", "active")
    list_select_related = ("category",)
    search_fields = ("title_el",)
    folded_search_fields = CatalogueFilterSet.folded_search_fields
    exact_search_fields = CatalogueFilterSet.exact_search_fields
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # The code is stable: imports and selections match on it.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        # Applications refer to entries; an entry is retired by deactivating it, which is audited.
        return False

    def save_model(self, request, obj, form, change):
        services.catalogue_project_save(project=obj, actor=request.user, channel=Channel.ADMIN)

    def _set_active(self, request, queryset, active):
        changed = []
        for project in queryset:
            if project.active != active:
                project.active = active
                services.catalogue_project_save(project=project, actor=request.user, channel=Channel.ADMIN)
                changed.append(project.pk)
        n = len(changed)
        if active:
            messages.success(
                request, ngettext("%(n)d entry activated.", "%(n)d entries activated.", n) % {"n": n}
            )
            return
        text = ngettext("%(n)d entry deactivated.", "%(n)d entries deactivated.", n) % {"n": n}
        using = (
            Selection.objects.filter(project__in=changed).values("application").distinct().count() if n else 0
        )
        if using:
            # The officer should know the retirement does not reach applications that already chose it.
            text += " " + ngettext(
                "Still selected by %(n)d application: those selections stay, new ones are refused.",
                "Still selected by %(n)d applications: those selections stay, new ones are refused.",
                using,
            ) % {"n": using}
        messages.success(request, text)

    @admin.action(description=_("Deactivate (no longer offered)"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Activate"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)


@admin.register(Selection)
class SelectionAdmin(FastActionCheckboxMixin, FoldedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every selection across applications, for looking things up; editing happens on the
    application page, where the cap is shown and checked."""

    list_display = ("application_link", "status", "project", "category", "amount_col")
    # The project chosen as typed: listing every catalogue entry in the sidebar (a thousand in a
    # larger programme's catalogue) was most of the page's time.
    list_filter = ("project__category", "application__status", ("project", AutocompleteFilter))
    list_select_related = ("application__municipality", "application__programme", "project__category")
    search_fields = ("project__title_el",)
    folded_search_fields = SelectionFilterSet.folded_search_fields
    exact_search_fields = SelectionFilterSet.exact_search_fields
    # A million selections: newest first (the primary key's order: no sort of every row through its
    # project and category), counted exactly up to 10,000 and estimated beyond (grants.pagination),
    # without a second count of the whole table beside a filtered one.
    ordering = ("-pk",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description=_("application"), ordering="application__municipality__name")
    def application_link(self, obj):
        url = reverse("admin:grants_application_change", args=[obj.application_id])
        return format_html("<a href='{}'>{}</a>", url, obj.application.municipality)

    @admin.display(description=_("status"), ordering="application__status")
    def status(self, obj):
        return obj.application.get_status_display()

    @admin.display(description=_("category"), ordering="project__category__order")
    def category(self, obj):
        return obj.project.category

    @admin.display(description=_("amount"), ordering="amount")
    def amount_col(self, obj):
        return eur(obj.amount)

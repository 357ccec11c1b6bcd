from django.contrib import admin

from maillage.taxonomy.models import Category, Scheme, SchemeVersion


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_nl"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(admin.ModelAdmin):
    list_display = ["scheme", "number", "status", "published_at"]
    list_filter = ["scheme", "status"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_nl", "level", "version", "is_active"]
    list_filter = ["version", "level", "is_active"]
    search_fields = ["code", "label_fr", "label_nl", "label_en"]

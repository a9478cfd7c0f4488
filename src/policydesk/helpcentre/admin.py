"""The help centre in the admin: categories and sections edited with their audit events
(`AuditedAdmin`); articles only shown (they are written in the console, /console/articles/,
so that every change has its version and its audit event)."""

from __future__ import annotations

from django.contrib import admin

from policydesk.helpcentre.models import Article, Category, Section
from policydesk.tickets.admin_audit import AuditedAdmin, ReadOnlyAdmin


@admin.register(Category)
class CategoryAdmin(AuditedAdmin[Category]):
    list_display = ("name_en", "name_ja", "slug", "position")


@admin.register(Section)
class SectionAdmin(AuditedAdmin[Section]):
    list_display = ("name_en", "name_ja", "category", "slug", "position")
    list_select_related = ("category",)


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin[Article]):
    list_display = ("title", "language", "status", "section", "updated_at")
    list_filter = ("language", "status")
    search_fields = ("title", "slug")
    list_select_related = ("section",)

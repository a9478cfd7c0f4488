"""The help centre article editor's form (console/article_views.py): it validates input;
`helpcentre.actions` checks the rest (slugs, translations, plans, permission) and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.helpcentre.actions import ArticleFields
from policydesk.helpcentre.models import LANGUAGES, Article, Section
from policydesk.policy.model import Policy


class ArticleForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    section = forms.ModelChoiceField(label=_("Section"), queryset=Section.objects.none())
    body = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Markdown: # heading, **bold**, *italic*, [link](https://…), - lists, | tables |. "
            "HTML is shown as text."
        ),
    )  # fmt: skip
    slug = forms.SlugField(
        label=_("Address (slug)"), required=False, max_length=120,
        help_text=_(
            "The end of the article's address; blank: made from the title. Changing it breaks old links."
        ),
    )  # fmt: skip
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"), required=False, queryset=Article.objects.none(),
        help_text=_("The original article this one translates, in the other language."),
    )  # fmt: skip
    plans = forms.MultipleChoiceField(
        label=_("Only for customers on these plans"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everyone may read it, without signing in."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, policy: Policy, lang: str, article: Article | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        section_field: forms.ModelChoiceField[Section] = self.fields["section"]  # type: ignore[assignment]
        section_field.queryset = Section.objects.select_related("category").order_by(
            "category__position", "position", "slug"
        )
        section_field.label_from_instance = lambda obj: f"{obj.category.name(lang)} › {obj.name(lang)}"  # type: ignore[method-assign]
        originals = Article.objects.filter(translation_of__isnull=True).order_by("language", "title")
        if article is not None:
            originals = originals.exclude(pk=article.pk)
        original_field: forms.ModelChoiceField[Article] = self.fields["translation_of"]  # type: ignore[assignment]
        original_field.queryset = originals
        original_field.label_from_instance = lambda obj: f"[{obj.language}] {obj.title}"  # type: ignore[method-assign]
        self.fields["plans"].choices = [(plan.id, plan.name.get(lang)) for plan in policy.plans.values()]  # type: ignore[attr-defined]
        self.fields["body"].widget.attrs["lang"] = self["language"].value() or lang

    @classmethod
    def initial_of(cls, article: Article) -> dict[str, Any]:
        return {
            "language": article.language, "title": article.title, "section": article.section_id,
            "body": article.body, "slug": article.slug, "translation_of": article.translation_of_id,
            "plans": article.plan_list,
        }  # fmt: skip

    def fields_of(self) -> ArticleFields:
        data = self.cleaned_data
        return ArticleFields(
            section=data["section"], language=data["language"], title=data["title"], body=data["body"],
            slug=data["slug"], plans=tuple(data["plans"]), translation_of=data["translation_of"],
        )  # fmt: skip

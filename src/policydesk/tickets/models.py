"""Who the desk serves and who answers: organisations, people, teams, and the audit log.

Tickets themselves arrive with the tickets issue; this is the foundation the demo data
and every later write (through `actions.py`) stand on.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """An office team (C8, C9) or a Premium regional team of named agents (C4)."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("Office team")
        PREMIUM = "premium", _("Premium team")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    office = models.CharField(_("office"), max_length=64, help_text=_("Policy office id."))

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A customer organisation of the vendor, on one plan, in one region (C1, C9)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    plan = models.CharField(_("plan"), max_length=64, help_text=_("Policy plan id (C1)."))
    region = models.CharField(_("region"), max_length=64, help_text=_("Policy region id (C9)."))
    account_executive = models.EmailField(_("account executive"), blank=True)
    customer_success_manager = models.EmailField(_("customer success manager"), blank=True)
    dedicated_team = models.ForeignKey(
        Team, verbose_name=_("dedicated team"), null=True, blank=True, on_delete=models.SET_NULL
    )  # C4
    shares_tickets = models.BooleanField(_("members see each other's tickets"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Person:
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Person:
        fields.update(is_staff=True, is_superuser=True, role=Person.Role.ADMIN)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: customers by their product login email (C14), agents, leads."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        LEAD = "lead", _("Lead")
        ADMIN = "admin", _("Admin")

    email = models.EmailField(_("email"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="members")
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[PersonManager] = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # C14: one login email each, whatever its case.
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class AuditEvent(models.Model):
    """One row per change, written by the action that made it."""

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}:{self.subject_id}"

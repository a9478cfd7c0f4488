"""`policydesk apitoken create EMAIL --name NAME`: mint a token and print it, once.
`policydesk apitoken list [EMAIL]` and `policydesk apitoken revoke PREFIX` manage them."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from policydesk.api.models import ApiToken
from policydesk.api.tokens import do_create_api_token, do_revoke_api_token
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import Person, email_is


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens (Authorization: Bearer pd_...)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Mint a token for EMAIL and print it once.")
        create.add_argument("email")
        create.add_argument("--name", required=True, help="What uses the token, e.g. 'CRM sync'.")
        listing = commands.add_parser("list", help="List tokens (prefix, name, person, last use).")
        listing.add_argument("email", nargs="?")
        revoke = commands.add_parser("revoke", help="Revoke the live token with this prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["command"] == "create":
            person = Person.objects.filter(email_is(options["email"])).first()
            if person is None:
                raise CommandError(f"nobody has the email {options['email']}")
            try:
                minted = do_create_api_token(person=person, name=options["name"], actor=None, now=now)
            except ActionError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(minted.secret)
            self.stderr.write("Copy the token now: it is not stored and will not be shown again.")
        elif options["command"] == "list":
            tokens = ApiToken.objects.select_related("person").order_by("person__email", "created_at")
            if options["email"]:
                tokens = tokens.filter(email_is(options["email"], "person__email"))
            for token in tokens:
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}Z" if token.last_used_at else "never used"
                self.stdout.write(f"{token.prefix}  {token.person.email}  {token.name}  {state}, {used}")
        else:
            live = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True)
            if live.count() != 1:
                raise CommandError(f"{live.count()} live tokens have the prefix {options['prefix']!r}")
            do_revoke_api_token(token=live.get(), actor=None, now=now)
            self.stdout.write(f"revoked {options['prefix']}")

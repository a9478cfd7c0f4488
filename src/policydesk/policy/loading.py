"""Read a policy TOML file into a validated `Policy`, or say everything wrong with it.

Validation never stops at the first mistake: every problem becomes a `PolicyIssue`
naming the file, the key path and what was expected, and `PolicyError` carries them
all. The format is documented in docs/policy-format.md.
"""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from policydesk.policy.model import (
    ACCOUNT_PEOPLE,
    CHANNELS,
    DEFAULT_MAX_OUTSIDE_COPIES,
    DEFAULT_PAUSE_ON,
    LANGUAGES,
    MAX_OUTSIDE_COPIES,
    METRICS,
    PAUSING_STATUSES,
    ROUTE_KINDS,
    AccountPerson,
    Channel,
    ContactRole,
    DeskNames,
    FirstResponseRule,
    Metric,
    MetricTargets,
    MissionCriticalRule,
    Office,
    OutOfScopeTopic,
    OutsideCopies,
    PausingStatus,
    Plan,
    Policy,
    Priority,
    Region,
    RequestType,
    Route,
    RouteKind,
    Text,
)
from policydesk.sla import (
    AlwaysOpenCalendar,
    Calendar,
    HolidayRule,
    OfficeCalendar,
    OpenInterval,
    Target,
    UnionCalendar,
    parse_zone,
    regular_business_day_seconds,
)

FORMAT_VERSION = 1
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A mail domain as `[outside_copies] domains` names one: lower-case labels of letters, digits and
# '-', at least two of them ("partner.example"), no '@' and no wildcard.
DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)
TIME_PATTERN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TARGET_KEYS = {
    "business_days": "business_days",
    "business_hours": "business",
    "business_minutes": "business",
    "calendar_hours": "calendar",
    "calendar_minutes": "calendar",
}
# What a policy that says nothing about `contact_roles` gets (C17).
DEFAULT_CONTACT_ROLES = {
    "account-executive": ContactRole(
        "account-executive",
        "account_executive",
        Text("your account executive", "担当のアカウントエグゼクティブ"),
    ),
    "customer-success-manager": ContactRole(
        "customer-success-manager",
        "customer_success_manager",
        Text("your customer success manager", "担当のカスタマーサクセスマネジャー"),
    ),
}
# What a policy that says nothing in `[desk]` gets: these ids where the policy has them.
DEFAULT_FEEDBACK_TOPIC = "feature-request"
DEFAULT_PLAN_QUESTION_TOPIC = "plan-question"
DEFAULT_OUTAGE_PRIORITY = "critical"
DEFAULT_PRIORITY = "normal"
DEFAULT_EMAIL_REQUEST_TYPE = "troubleshooting"
DEFAULT_GLOBAL_QUEUE = Text("Global", "グローバル")


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One thing wrong with a policy file."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be used, with every issue found in it."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@functools.cache  # the package's files do not move while it runs; get_policy asks on every call
def default_policy_path() -> Path:
    """The bundled default policy (Example Analytics, the seed policy)."""
    return Path(str(resources.files("policydesk.policy").joinpath("default.toml")))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate the policy file at `path` (the bundled default if None)."""
    file = Path(path) if path is not None else default_policy_path()
    source = str(file)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise PolicyError([PolicyIssue(source, "(file)", f"cannot read: {error.strerror}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise PolicyError([PolicyIssue(source, "(file)", f"not UTF-8: {error}")]) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([PolicyIssue(source, "(file)", f"not valid TOML: {error}")]) from None
    return parse_policy(data, source=source)


def parse_policy(data: dict[str, Any], *, source: str = "<policy>") -> Policy:
    """Validate a parsed TOML document into a `Policy`; raise `PolicyError` listing all issues."""
    reader = _Reader(source)
    policy = reader.policy(data)
    if reader.issues or policy is None:
        raise PolicyError(reader.issues)
    return policy


class _Reader:
    """Walks the TOML document, recording issues instead of raising on the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[PolicyIssue] = []
        # Ids defined but invalid: references to them are not errors again (no cascades).
        self.broken: set[str] = set()
        self.priority_ids: list[str] = []

    # -- primitives --------------------------------------------------------------

    def error(self, key: str, message: str) -> None:
        self.issues.append(PolicyIssue(self.source, key, message))

    def table(self, value: object, key: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(key, f"expected a table, got {_kind(value)}")
            return None
        return cast(dict[str, Any], value)

    def string(self, value: object, key: str, *, optional: bool = False) -> str | None:
        if value is None:
            if not optional:
                self.error(key, "missing; expected a string")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"expected a non-empty string, got {_kind(value)}")
            return None
        return value

    def boolean(self, value: object, key: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {_kind(value)}")
            return default
        return value

    def string_list(self, value: object, key: str) -> list[str] | None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.error(key, f"expected a list of strings, got {_kind(value)}")
            return None
        return cast(list[str], value)

    def text(self, value: object, key: str, *, optional: bool = False) -> Text | None:
        if value is None:
            if not optional:
                self.error(key, "missing; expected a table with 'en' and 'ja' strings")
            return None
        table = self.table(value, key)
        if table is None:
            return None
        ok = True
        for lang in LANGUAGES:
            if not isinstance(table.get(lang), str) or not table[lang].strip():
                self.error(f"{key}.{lang}", "missing; customer texts need English and Japanese")
                ok = False
        for extra in sorted(set(table) - set(LANGUAGES)):
            self.error(f"{key}.{extra}", f"unknown language; expected one of {', '.join(LANGUAGES)}")
        return Text(en=table["en"], ja=table["ja"]) if ok else None

    def unknown_keys(self, table: dict[str, Any], key: str, allowed: set[str]) -> None:
        for name in sorted(set(table) - allowed):
            where = f"{key}.{name}" if key else name
            self.error(where, f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def identifier(self, value: object, key: str) -> str | None:
        ident = self.string(value, key)
        if ident is not None and not ID_PATTERN.match(ident):
            self.error(key, f"{ident!r} is not an id (lower-case letters, digits and '-')")
            return None
        return ident

    def keyed_tables(self, value: object, key: str) -> dict[str, dict[str, Any]]:
        """A table of tables keyed by id (`[offices.us-west]`)."""
        if value is None:
            self.error(key, "missing; expected a table of tables")
            return {}
        table = self.table(value, key)
        out: dict[str, dict[str, Any]] = {}
        for ident, body in (table or {}).items():
            if self.identifier(ident, f"{key}.{ident}") is None:
                continue
            inner = self.table(body, f"{key}.{ident}")
            if inner is not None:
                out[ident] = inner
        return out

    def listed_tables(self, value: object, key: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """An array of tables with an `id` each (`[[request_types]]`); duplicates are errors."""
        if not isinstance(value, list):
            self.error(key, f"expected an array of tables ([[{key}]]), got {_kind(value)}")
            return {}
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for index, body in enumerate(value):
            where = f"{key}[{index}]"
            table = self.table(body, where)
            if table is None:
                continue
            ident = self.identifier(table.get("id"), f"{where}.id")
            if ident is None:
                continue
            if ident in out:
                self.error(f"{where}.id", f"duplicate id {ident!r} (also at {out[ident][0]})")
                continue
            out[ident] = (where, table)
        return out

    # -- the document ------------------------------------------------------------

    def policy(self, data: dict[str, Any]) -> Policy | None:
        self.unknown_keys(
            data,
            "",
            {
                "format", "id", "version", "vendor", "domain", "title", "introduction",
                "links", "offices", "calendars", "regions", "request_types", "out_of_scope",
                "routes", "plans", "channels", "priorities", "notes", "contact_roles", "desk", "sla",
                "outside_copies",
            },
        )  # fmt: skip
        if data.get("format") != FORMAT_VERSION:
            self.error("format", f"expected {FORMAT_VERSION}, got {data.get('format')!r}")
        policy_id = self.identifier(data.get("id"), "id")
        version = self.string(data.get("version"), "version")
        vendor = self.string(data.get("vendor"), "vendor")
        domain = self.string(data.get("domain"), "domain")
        title = self.text(data.get("title"), "title")
        introduction = self.text(data.get("introduction"), "introduction")
        links = self.links(data.get("links", {}))

        offices = self.offices(data.get("offices"))
        calendars: dict[str, Calendar] = {ident: office.calendar for ident, office in offices.items()}
        calendar_names = {ident: office.name for ident, office in offices.items()}
        self.calendars(data.get("calendars", {}), calendars, calendar_names)
        regions = self.regions(data.get("regions"), offices)
        request_types = self.request_types(data.get("request_types"))
        contact_roles = self.contact_roles(data.get("contact_roles"))
        routes = self.routes(data.get("routes"), contact_roles)
        out_of_scope = self.out_of_scope(data.get("out_of_scope", []), request_types, routes)
        # Targets by priority name priorities listed further down; their ids are checked there.
        self.priority_ids = _listed_ids(data.get("priorities"))
        plans = self.plans(data.get("plans"), request_types, out_of_scope, routes, calendars)
        if not regions and "regions" in data:
            self.error("regions", "no regions; expected at least one")
        channel_texts = self.channel_texts(data.get("channels", {}))
        priorities = self.priorities(data.get("priorities"))
        notes = {
            ident: text
            for ident, body in (self.table(data.get("notes", {}), "notes") or {}).items()
            if (text := self.text(body, f"notes.{ident}")) is not None
        }
        desk = self.desk(data.get("desk", {}), request_types, out_of_scope, priorities)
        pause_on = self.pause_on(data.get("sla", {}))
        outside_copies = self.outside_copies(data.get("outside_copies", {}))
        if self.issues:
            return None
        assert policy_id and version and vendor and domain and title and introduction and desk
        return Policy(
            id=policy_id,
            version=version,
            vendor=vendor,
            domain=domain,
            source=self.source,
            title=title,
            introduction=introduction,
            offices=offices,
            calendars=calendars,
            calendar_names=calendar_names,
            regions=regions,
            request_types=request_types,
            out_of_scope=out_of_scope,
            routes=routes,
            plans=plans,
            priorities=priorities,
            channel_texts=channel_texts,
            links=links,
            notes=notes,
            contact_roles=contact_roles,
            desk=desk,
            pause_on=pause_on,
            outside_copies=outside_copies,
        )

    def links(self, value: object) -> dict[str, str]:
        table = self.table(value, "links") or {}
        out = {}
        for name, url in table.items():
            checked = self.url(url, f"links.{name}")
            if checked is not None:
                out[name] = checked
        return out

    def url(self, value: object, key: str) -> str | None:
        url = self.string(value, key)
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            self.error(key, f"{url!r} is not an http(s) URL")
            return None
        return url

    # -- offices and calendars (C8) ----------------------------------------------

    def offices(self, value: object) -> dict[str, Office]:
        offices: dict[str, Office] = {}
        for ident, table in self.keyed_tables(value, "offices").items():
            key = f"offices.{ident}"
            self.unknown_keys(
                table, key, {"name", "zone", "hours", "holidays", "hours_text", "business_day_hours"}
            )
            name = self.text(table.get("name"), f"{key}.name")
            hours_text = self.text(table.get("hours_text"), f"{key}.hours_text")
            zone = self.zone(table.get("zone"), f"{key}.zone")
            intervals = self.hours(table.get("hours"), f"{key}.hours")
            holidays = self.holidays(table.get("holidays", {}), f"{key}.holidays")
            business_day = self.business_day(table.get("business_day_hours"), key)
            if None in (name, hours_text, zone, intervals, holidays):
                self.broken.add(ident)
                continue
            assert name and hours_text and zone and intervals is not None and holidays
            calendar = OfficeCalendar(
                id=ident,
                zone=zone,
                intervals=tuple(intervals),
                holidays=holidays,
                business_day_seconds=business_day,
            )
            offices[ident] = Office(id=ident, name=name, calendar=calendar, hours_text=hours_text)
        if not offices and not self.issues:
            self.error("offices", "no offices; expected at least one")
        return offices

    def zone(self, value: object, key: str) -> str | None:
        zone = self.string(value, key)
        if zone is None:
            return None
        try:
            parse_zone(zone)
        except ValueError as error:
            self.error(key, f"{error}; expected an IANA zone name or an offset like 'UTC-08:00'")
            return None
        return zone

    def business_day(self, value: object, key: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24:
            self.error(f"{key}.business_day_hours", f"expected hours in (0, 24], got {value!r}")
            return None
        return round(value * 3600)

    def hours(self, value: object, key: str) -> list[OpenInterval] | None:
        if not isinstance(value, list) or not value:
            self.error(key, f"expected a non-empty array of {{days, open, close}} tables, got {_kind(value)}")
            return None
        intervals: list[OpenInterval] = []
        entries: list[str] = []  # the `hours[i]` entry each interval comes from, for messages
        ok = True
        for index, item in enumerate(value):
            where = f"{key}[{index}]"
            table = self.table(item, where)
            if table is None:
                ok = False
                continue
            self.unknown_keys(table, where, {"days", "open", "close"})
            days = self.string_list(table.get("days"), f"{where}.days")
            opens = self.clock(table.get("open"), f"{where}.open")
            closes = self.clock(table.get("close"), f"{where}.close")
            if days is not None:
                for day in days:
                    if day not in DAYS:
                        self.error(f"{where}.days", f"unknown day {day!r}; expected one of {', '.join(DAYS)}")
                        ok = False
                if not days:
                    self.error(f"{where}.days", "empty; expected at least one day")
                    ok = False
            if days is None or opens is None or closes is None:
                ok = False
                continue
            if opens == 86400:
                self.error(f"{where}.open", "24:00 is a closing time only")
                ok = False
                continue
            if closes == opens:
                self.error(f"{where}.close", "equals open; an interval must have a length")
                ok = False
                continue
            # A close at or before the open is an overnight shift into the next day.
            end = closes if closes > opens else closes + 86400
            for day in days:
                if day in DAYS:
                    intervals.append(OpenInterval(DAYS.index(day), opens, end))
                    entries.append(f"hours[{index}]")
        if not ok:
            return None
        overlap = _first_overlap(list(zip(intervals, entries, strict=True)))
        if overlap is not None:
            self.error(key, overlap)
            return None
        return intervals

    def clock(self, value: object, key: str) -> int | None:
        text = self.string(value, key)
        if text is None:
            return None
        match = TIME_PATTERN.match(text)
        if not match or (match[1] == "24" and match[2] != "00"):
            self.error(key, f"{text!r} is not a time; expected HH:MM (00:00 to 24:00)")
            return None
        return int(match[1]) * 3600 + int(match[2]) * 60

    def holidays(self, value: object, key: str) -> HolidayRule | None:
        table = self.table(value, key)
        if table is None:
            return None
        self.unknown_keys(table, key, {"country", "subdivision", "extra", "removed"})
        country = self.string(table.get("country"), f"{key}.country", optional=True)
        subdivision = self.string(table.get("subdivision"), f"{key}.subdivision", optional=True)
        if country is not None:
            import holidays as holidays_package  # local: only validation needs the registry

            supported = holidays_package.list_supported_countries()
            if country not in supported:
                self.error(f"{key}.country", f"unknown country {country!r} for the holidays package")
                return None
            if subdivision is not None and subdivision not in supported[country]:
                self.error(f"{key}.subdivision", f"unknown subdivision {subdivision!r} of {country}")
                return None
        elif subdivision is not None:
            self.error(f"{key}.subdivision", "given without a country")
            return None
        extra = self.dates(table.get("extra", []), f"{key}.extra")
        removed = self.dates(table.get("removed", []), f"{key}.removed")
        if extra is None or removed is None:
            return None
        return HolidayRule(country=country, subdivision=subdivision, extra=extra, removed=removed)

    def dates(self, value: object, key: str) -> frozenset[date] | None:
        if not isinstance(value, list):
            self.error(key, f"expected an array of dates (2026-12-24), got {_kind(value)}")
            return None
        out = set()
        for index, item in enumerate(value):
            if isinstance(item, date) and not hasattr(item, "hour"):
                out.add(item)
            elif isinstance(item, str):
                try:
                    out.add(date.fromisoformat(item))
                except ValueError:
                    self.error(f"{key}[{index}]", f"{item!r} is not a date; expected YYYY-MM-DD")
                    return None
            else:
                self.error(f"{key}[{index}]", f"expected a date, got {_kind(item)}")
                return None
        return frozenset(out)

    def calendars(self, value: object, calendars: dict[str, Calendar], names: dict[str, Text]) -> None:
        """Named calendars: unions of other calendars, or 24x7 (C8 Decision)."""
        tables = self.keyed_tables(value, "calendars")
        pending = dict(tables)
        # Unions may name unions defined later in the file: resolve until no progress.
        while pending:
            progressed = False
            for ident, table in list(pending.items()):
                key = f"calendars.{ident}"
                if ident in calendars:
                    self.error(key, f"duplicate calendar id {ident!r} (an office has it)")
                    del pending[ident]
                    continue
                members = table.get("union")
                if isinstance(members, list) and any(
                    m in pending and m != ident for m in members if isinstance(m, str)
                ):
                    continue
                del pending[ident]
                progressed = True
                calendar = self.calendar(ident, table, calendars)
                name = self.text(table.get("name"), f"{key}.name")
                if calendar is not None and name is not None:
                    calendars[ident] = calendar
                    names[ident] = name
                else:
                    self.broken.add(ident)
            if not progressed:
                for ident in pending:
                    self.error(f"calendars.{ident}.union", "unions refer to each other in a cycle")
                break

    def calendar(self, ident: str, table: dict[str, Any], known: dict[str, Calendar]) -> Calendar | None:
        key = f"calendars.{ident}"
        self.unknown_keys(table, key, {"name", "union", "always_open", "business_day_hours"})
        business_day = self.business_day(table.get("business_day_hours"), key)
        if table.get("always_open") is True:
            if "union" in table:
                self.error(key, "give either union or always_open, not both")
                return None
            return AlwaysOpenCalendar(id=ident)
        members = self.string_list(table.get("union"), f"{key}.union")
        if members is None:
            self.error(key, "expected union = [calendar ids] or always_open = true")
            return None
        resolved: list[Calendar] = []
        for member in members:
            if member in self.broken:
                return None
            if member not in known:
                self.error(f"{key}.union", f"unknown calendar {member!r}; expected one of {_ids(known)}")
                return None
            resolved.append(known[member])
        if not resolved:
            self.error(f"{key}.union", "empty; expected at least one calendar")
            return None
        return UnionCalendar(id=ident, members=tuple(resolved), business_day_seconds=business_day)

    def regions(self, value: object, offices: dict[str, Office]) -> dict[str, Region]:
        regions = {}
        for ident, table in self.keyed_tables(value, "regions").items():
            key = f"regions.{ident}"
            self.unknown_keys(table, key, {"name", "office"})
            name = self.text(table.get("name"), f"{key}.name")
            office = self.string(table.get("office"), f"{key}.office")
            if office in self.broken:
                continue
            if office is not None and office not in offices:
                self.error(f"{key}.office", f"unknown office {office!r}; expected one of {_ids(offices)}")
                continue
            if name is not None and office is not None:
                regions[ident] = Region(id=ident, name=name, office=office)
        return regions

    # -- scope (C11, C12) and routes (C17-C20) --------------------------------------

    def request_types(self, value: object) -> dict[str, RequestType]:
        out = {}
        for ident, (where, table) in self.listed_tables(value, "request_types").items():
            self.unknown_keys(table, where, {"id", "name", "description"})
            name = self.text(table.get("name"), f"{where}.name")
            description = self.text(table.get("description"), f"{where}.description", optional=True)
            if name is not None:
                out[ident] = RequestType(id=ident, name=name, description=description)
        if not out and not self.issues:
            self.error("request_types", "no request types; expected at least one")
        return out

    def contact_roles(self, value: object) -> dict[str, ContactRole]:
        """Route contacts that name the customer's own people (C17); the two defaults if absent."""
        if value is None:
            return dict(DEFAULT_CONTACT_ROLES)
        out = {}
        for ident, table in self.keyed_tables(value, "contact_roles").items():
            key = f"contact_roles.{ident}"
            self.unknown_keys(table, key, {"person", "name"})
            person = table.get("person")
            if person not in ACCOUNT_PEOPLE:
                self.error(
                    f"{key}.person", f"expected one of {', '.join(ACCOUNT_PEOPLE)}, got {_kind(person)}"
                )
                continue
            name = self.text(table.get("name"), f"{key}.name")
            if name is not None:
                out[ident] = ContactRole(id=ident, person=cast(AccountPerson, person), name=name)
        return out

    def desk(
        self,
        value: object,
        request_types: dict[str, RequestType],
        out_of_scope: dict[str, OutOfScopeTopic],
        priorities: dict[str, Priority],
    ) -> DeskNames | None:
        """The ids the desk treats specially; a missing key takes the default id where the
        policy has it (none otherwise), a named one must exist."""
        table = self.table(value, "desk") or {}
        self.unknown_keys(
            table,
            "desk",
            {
                "feedback_topic",
                "plan_question_topic",
                "outage_priority",
                "default_priority",
                "email_request_type",
                "global_queue",
            },
        )

        def pick(key: str, default: str, known: dict[str, Any], what: str) -> str | None:
            if key not in table:
                return default if default in known else None
            ident = self.string(table[key], f"desk.{key}")
            if ident is not None and ident not in known:
                self.error(f"desk.{key}", f"unknown {what} {ident!r}; expected one of {_ids(known)}")
                return None
            return ident

        email_type = pick("email_request_type", DEFAULT_EMAIL_REQUEST_TYPE, request_types, "request type")
        if email_type is None and "email_request_type" not in table:
            email_type = next(iter(request_types), None)  # the first listed
        default_priority = pick("default_priority", DEFAULT_PRIORITY, priorities, "priority")
        if default_priority is None and "default_priority" not in table and priorities:
            default_priority = list(priorities)[-1]  # the least urgent: priorities run most urgent first
        global_queue = (
            self.text(table["global_queue"], "desk.global_queue") if "global_queue" in table else None
        )
        if email_type is None:
            return None
        return DeskNames(
            feedback_topic=pick("feedback_topic", DEFAULT_FEEDBACK_TOPIC, out_of_scope, "out-of-scope topic"),
            plan_question_topic=pick(
                "plan_question_topic", DEFAULT_PLAN_QUESTION_TOPIC, out_of_scope, "out-of-scope topic"
            ),
            outage_priority=pick("outage_priority", DEFAULT_OUTAGE_PRIORITY, priorities, "priority"),
            default_priority=default_priority,
            email_request_type=email_type,
            global_queue=global_queue or DEFAULT_GLOBAL_QUEUE,
        )

    def outside_copies(self, value: object) -> OutsideCopies:
        """`[outside_copies]`: whether tickets may copy addresses that sign in nowhere (C14 leaves
        it unsaid; off unless the file says `allowed = true`), from which domains, how many."""
        key = "outside_copies"
        table = self.table(value, key)
        if table is None:
            return OutsideCopies()
        self.unknown_keys(table, key, {"allowed", "domains", "max_per_ticket"})
        allowed = self.boolean(table.get("allowed"), f"{key}.allowed", False)
        domains: list[str] = []
        if "domains" in table:
            listed = self.string_list(table["domains"], f"{key}.domains") or []
            for index, domain in enumerate(listed):
                if not DOMAIN_PATTERN.match(domain):
                    self.error(
                        f"{key}.domains[{index}]",
                        f"{domain!r} is not a mail domain; expected lower-case labels such as "
                        "'partner.example' (no '@', no '*')",
                    )
                elif domain in domains:
                    self.error(f"{key}.domains[{index}]", f"{domain!r} is listed twice")
                else:
                    domains.append(domain)
            if listed and not allowed:
                self.error(f"{key}.domains", "names domains, but outside copies are off; add allowed = true")
        most = DEFAULT_MAX_OUTSIDE_COPIES
        if "max_per_ticket" in table:
            given = table["max_per_ticket"]
            if isinstance(given, bool) or not isinstance(given, int) or not 1 <= given <= MAX_OUTSIDE_COPIES:
                self.error(
                    f"{key}.max_per_ticket",
                    f"expected a whole number from 1 to {MAX_OUTSIDE_COPIES}, got {given!r}",
                )
            else:
                most = given
        return OutsideCopies(allowed=allowed, domains=tuple(domains), max_per_ticket=most)

    def routes(self, value: object, contact_roles: dict[str, ContactRole]) -> dict[str, Route]:
        out = {}
        for ident, table in self.keyed_tables(value, "routes").items():
            key = f"routes.{ident}"
            self.unknown_keys(table, key, {"kind", "contacts", "url", "text"})
            kind = table.get("kind")
            if kind not in ROUTE_KINDS:
                self.error(f"{key}.kind", f"expected one of {', '.join(ROUTE_KINDS)}, got {kind!r}")
                continue
            contacts = self.string_list(table.get("contacts", []), f"{key}.contacts")
            for contact in contacts or []:
                if contact not in contact_roles and not EMAIL_PATTERN.match(contact):
                    self.error(
                        f"{key}.contacts",
                        f"{contact!r} is neither an email address nor a contact role ({_ids(contact_roles)})",
                    )
                    contacts = None
            url = self.url(table["url"], f"{key}.url") if "url" in table else None
            text = self.text(table.get("text"), f"{key}.text")
            if kind in ("feedback-form", "community") and url is None and "url" not in table:
                self.error(f"{key}.url", f"missing; a {kind} route needs a URL")
                continue
            if kind in ("sales", "account-team") and not contacts:
                self.error(f"{key}.contacts", f"missing; a {kind} route needs contacts")
                continue
            if contacts is not None and text is not None:
                out[ident] = Route(
                    id=ident, kind=cast(RouteKind, kind), contacts=tuple(contacts), url=url, text=text
                )
        return out

    def out_of_scope(
        self, value: object, request_types: dict[str, RequestType], routes: dict[str, Route]
    ) -> dict[str, OutOfScopeTopic]:
        out = {}
        for ident, (where, table) in self.listed_tables(value, "out_of_scope").items():
            self.unknown_keys(table, where, {"id", "name", "route"})
            if ident in request_types:
                self.error(f"{where}.id", f"{ident!r} is also an in-scope request type")
                continue
            name = self.text(table.get("name"), f"{where}.name")
            route = self.string(table.get("route"), f"{where}.route", optional=True)
            if route is not None and route not in routes:
                self.error(f"{where}.route", f"unknown route {route!r}; expected one of {_ids(routes)}")
                continue
            if name is not None:
                out[ident] = OutOfScopeTopic(id=ident, name=name, route=route)
        return out

    # -- plans (C1-C7, C17) --------------------------------------------------------

    def plans(
        self,
        value: object,
        request_types: dict[str, RequestType],
        out_of_scope: dict[str, OutOfScopeTopic],
        routes: dict[str, Route],
        calendars: dict[str, Calendar],
    ) -> dict[str, Plan]:
        plans = {}
        for ident, table in self.keyed_tables(value, "plans").items():
            plan = self.plan(ident, table, request_types, out_of_scope, routes, calendars)
            if plan is not None:
                plans[ident] = plan
        if not plans and not self.issues:
            self.error("plans", "no plans; expected at least one")
        # Every out-of-scope topic must lead somewhere for every plan (C12, C17).
        for topic in out_of_scope.values():
            for plan in plans.values():
                if topic.route is None and topic.id not in plan.routes:
                    self.error(
                        f"plans.{plan.id}.routes",
                        f"no route for out-of-scope topic {topic.id!r} and the topic has no default",
                    )
        return plans

    def plan(
        self,
        ident: str,
        table: dict[str, Any],
        request_types: dict[str, RequestType],
        out_of_scope: dict[str, OutOfScopeTopic],
        routes: dict[str, Route],
        calendars: dict[str, Calendar],
    ) -> Plan | None:
        key = f"plans.{ident}"
        self.unknown_keys(
            table,
            key,
            {
                "name", "free", "channels", "request_types", "handled_by", "availability",
                "first_response", "no_commitment", "mission_critical", "meetings",
                "dedicated_team", "ineligible_route", "routes", "next_reply", "periodic_update",
                "resolution", "by_priority",
            },
        )  # fmt: skip
        errors_before = len(self.issues)
        name = self.text(table.get("name"), f"{key}.name")
        availability = self.text(table.get("availability"), f"{key}.availability")
        channels = self.string_list(table.get("channels", list(CHANNELS)), f"{key}.channels") or []
        for channel in channels:
            if channel not in CHANNELS:
                self.error(f"{key}.channels", f"unknown channel {channel!r}; expected {', '.join(CHANNELS)}")
        eligible = self.string_list(table.get("request_types", list(request_types)), f"{key}.request_types")
        for request_type in eligible or []:
            if request_type not in request_types:
                self.error(
                    f"{key}.request_types",
                    f"unknown request type {request_type!r}; expected one of {_ids(request_types)}",
                )
        handled_by = table.get("handled_by")
        if handled_by not in ("region", "global"):
            self.error(f"{key}.handled_by", f"expected 'region' or 'global', got {handled_by!r}")
        targets = self.metric_targets(table, key, calendars, handled_by)
        by_priority: dict[str, MetricTargets] = {}
        for priority, body in (self.table(table.get("by_priority", {}), f"{key}.by_priority") or {}).items():
            where = f"{key}.by_priority.{priority}"
            if priority not in self.priority_ids:
                self.error(
                    where, f"unknown priority; expected one of {_ids(dict.fromkeys(self.priority_ids))}"
                )
                continue
            inner = self.table(body, where)
            if inner is None:
                continue
            if "first_response" in inner:
                self.error(
                    f"{where}.first_response",
                    "the first response is decided at triage, which priority does not enter (C16);"
                    " expected next_reply, periodic_update or resolution",
                )
                continue
            self.unknown_keys(inner, where, set[str](METRICS[1:]))
            if not inner:
                self.error(where, f"empty; expected targets for some of {', '.join(METRICS[1:])}")
                continue
            by_priority[priority] = self.metric_targets(inner, where, calendars, handled_by)
        no_commitment = self.text(table.get("no_commitment"), f"{key}.no_commitment", optional=True)
        mission_critical = None
        if "mission_critical" in table:
            mission_critical = self.mission_critical(
                table["mission_critical"], f"{key}.mission_critical", request_types, calendars, eligible
            )
        dedicated = self.text(table.get("dedicated_team"), f"{key}.dedicated_team", optional=True)
        ineligible = self.string(table.get("ineligible_route"), f"{key}.ineligible_route")
        if ineligible is not None and ineligible not in routes:
            self.error(
                f"{key}.ineligible_route", f"unknown route {ineligible!r}; expected one of {_ids(routes)}"
            )
        plan_routes: dict[str, str] = {}
        for topic, route in (self.table(table.get("routes", {}), f"{key}.routes") or {}).items():
            if topic not in out_of_scope:
                self.error(
                    f"{key}.routes.{topic}",
                    f"unknown out-of-scope topic; expected one of {_ids(out_of_scope)}",
                )
            elif route not in routes:
                self.error(
                    f"{key}.routes.{topic}", f"unknown route {route!r}; expected one of {_ids(routes)}"
                )
            else:
                plan_routes[topic] = route
        free = self.boolean(table.get("free"), f"{key}.free", False)
        meetings = self.boolean(table.get("meetings"), f"{key}.meetings", False)
        if len(self.issues) > errors_before or name is None or availability is None:
            return None
        assert eligible is not None and ineligible is not None
        return Plan(
            id=ident,
            name=name,
            free=free,
            channels=tuple(cast(list[Channel], channels)),
            request_types=tuple(eligible),
            handled_by=cast(Literal["region", "global"], handled_by),
            availability=availability,
            first_response=targets.first_response,
            no_commitment_text=no_commitment,
            mission_critical=mission_critical,
            meetings=meetings,
            dedicated_team=dedicated,
            ineligible_route=ineligible,
            routes=plan_routes,
            next_reply=targets.next_reply,
            periodic_update=targets.periodic_update,
            resolution=targets.resolution,
            by_priority=by_priority,
        )

    def metric_targets(
        self, table: dict[str, Any], key: str, calendars: dict[str, Calendar], handled_by: object
    ) -> MetricTargets:
        """The targets of the SLA metrics `table` names (each shaped like `first_response`)."""
        rules: dict[str, FirstResponseRule | None] = {}
        for metric in METRICS:
            if metric not in table:
                continue
            rule = self.first_response(table[metric], f"{key}.{metric}", calendars)
            if (
                rule is not None
                and rule.calendar is None
                and handled_by == "global"
                and rule.target.kind != "calendar"
            ):
                self.error(
                    f"{key}.{metric}.calendar",
                    "missing; a globally handled plan has no office calendar to count on",
                )
            rules[metric] = rule
        return MetricTargets(**rules)

    def pause_on(self, value: object) -> dict[Metric, tuple[PausingStatus, ...]]:
        """`[sla] pause_on`: which statuses stop which metric's clock; defaults for the rest."""
        out = dict(DEFAULT_PAUSE_ON)
        table = self.table(value, "sla") or {}
        self.unknown_keys(table, "sla", {"pause_on"})
        pauses = self.table(table.get("pause_on", {}), "sla.pause_on") or {}
        self.unknown_keys(pauses, "sla.pause_on", set(METRICS))
        for metric in METRICS:
            if metric not in pauses:
                continue
            key = f"sla.pause_on.{metric}"
            statuses = self.string_list(pauses[metric], key)
            if statuses is None:
                continue
            wrong = [status for status in statuses if status not in PAUSING_STATUSES]
            if wrong:
                self.error(
                    key,
                    f"{wrong[0]!r} cannot pause a clock; expected some of {', '.join(PAUSING_STATUSES)}"
                    " (solved stops the clocks)",
                )
                continue
            out[metric] = tuple(cast(list[PausingStatus], list(dict.fromkeys(statuses))))
        return out

    def first_response(
        self, value: object, key: str, calendars: dict[str, Calendar]
    ) -> FirstResponseRule | None:
        table = self.table(value, key)
        if table is None:
            return None
        self.unknown_keys(table, key, {*TARGET_KEYS, "calendar", "text"})
        given = [name for name in TARGET_KEYS if name in table]
        if len(given) != 1:
            self.error(key, f"expected exactly one of {', '.join(TARGET_KEYS)}, got {len(given)}")
            return None
        amount = table[given[0]]
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            self.error(f"{key}.{given[0]}", f"expected a positive number, got {amount!r}")
            return None
        unit = given[0].rsplit("_", 1)[1]
        seconds = amount * {"hours": 3600, "minutes": 60, "days": 1}[unit]
        kind = TARGET_KEYS[given[0]]
        target = (
            Target.business_days(amount)
            if kind == "business_days"
            else Target.business(seconds)
            if kind == "business"
            else Target.calendar(seconds)
        )
        calendar = self.string(table.get("calendar"), f"{key}.calendar", optional=True)
        if calendar in self.broken:
            return None
        if calendar is not None:
            if kind == "calendar":
                self.error(f"{key}.calendar", "a calendar-time target runs 24x7; remove calendar")
                return None
            if calendar not in calendars:
                self.error(
                    f"{key}.calendar", f"unknown calendar {calendar!r}; expected one of {_ids(calendars)}"
                )
                return None
            if not self._ever_open(calendars[calendar]):
                self.error(f"{key}.calendar", f"calendar {calendar!r} is never open")
                return None
        text = self.text(table.get("text"), f"{key}.text")
        if text is None:
            return None
        return FirstResponseRule(target=target, calendar=calendar, text=text)

    def _ever_open(self, calendar: Calendar) -> bool:
        try:
            return regular_business_day_seconds(calendar) > 0
        except ValueError:
            return False

    def mission_critical(
        self,
        value: object,
        key: str,
        request_types: dict[str, RequestType],
        calendars: dict[str, Calendar],
        eligible: list[str] | None,
    ) -> MissionCriticalRule | None:
        table = self.table(value, key)
        if table is None:
            return None
        self.unknown_keys(table, key, {"request_types", "first_response", "page_on_call", "availability"})
        types = self.string_list(table.get("request_types"), f"{key}.request_types")
        for request_type in types or []:
            if request_type not in request_types:
                self.error(f"{key}.request_types", f"unknown request type {request_type!r}")
                types = None
            elif eligible is not None and request_type not in eligible:
                self.error(f"{key}.request_types", f"{request_type!r} is not eligible for this plan")
                types = None
        rule = self.first_response(table.get("first_response"), f"{key}.first_response", calendars)
        availability = self.text(table.get("availability"), f"{key}.availability")
        page = self.boolean(table.get("page_on_call"), f"{key}.page_on_call", True)
        if types is None or rule is None or availability is None:
            return None
        return MissionCriticalRule(
            request_types=tuple(types), first_response=rule, page_on_call=page, availability=availability
        )

    def channel_texts(self, value: object) -> dict[str, Text]:
        out: dict[str, Text] = {}
        for channel, body in (self.table(value, "channels") or {}).items():
            if channel not in CHANNELS:
                self.error(f"channels.{channel}", f"unknown channel; expected {', '.join(CHANNELS)}")
                continue
            text = self.text(body, f"channels.{channel}")
            if text is not None:
                out[channel] = text
        return out

    def priorities(self, value: object) -> dict[str, Priority]:
        out = {}
        for ident, (where, table) in self.listed_tables(value, "priorities").items():
            self.unknown_keys(table, where, {"id", "name", "definition"})
            name = self.text(table.get("name"), f"{where}.name")
            definition = self.text(table.get("definition"), f"{where}.definition")
            if name is not None and definition is not None:
                out[ident] = Priority(id=ident, name=name, definition=definition)
        return out


def _first_overlap(intervals: list[tuple[OpenInterval, str]]) -> str | None:
    """The first two weekly intervals that overlap, said with both entries; None if none do.

    An overnight interval runs into the next day (Sunday's into Monday's), so it is
    checked against that day's openings too, not only against its own day's.
    """
    week = 7 * 86400
    spans = sorted(
        (
            (
                interval.weekday * 86400 + interval.start,
                interval.weekday * 86400 + interval.end,
                interval,
                entry,
            )
            for interval, entry in intervals
        ),
        key=lambda span: span[:2],
    )
    # Sorted by start, an overlap always shows between neighbours.
    for (_, end, interval, entry), (next_start, _, following, following_entry) in itertools.pairwise(spans):
        if next_start < end:
            return _overlap_message(following.weekday, (interval, entry), (following, following_entry))
    # Sunday's overnight interval runs into Monday, the start of the week.
    if spans and spans[-1][1] > week and spans[0][0] < spans[-1][1] - week:
        _, _, last, last_entry = spans[-1]
        _, _, first, first_entry = spans[0]
        return _overlap_message(first.weekday, (last, last_entry), (first, first_entry))
    return None


def _overlap_message(weekday: int, *pair: tuple[OpenInterval, str]) -> str:
    def said(interval: OpenInterval, entry: str) -> str:
        return f"{entry} ({DAYS[interval.weekday]} {_clock_text(interval.start)}–{_clock_text(interval.end)})"

    return f"intervals overlap on {DAYS[weekday]}: {said(*pair[0])} and {said(*pair[1])}"


def _clock_text(seconds: int) -> str:
    """A clock time as the file writes it (an overnight close as the next day's time)."""
    if seconds > 86400:
        seconds -= 86400
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _listed_ids(value: object) -> list[str]:
    """The `id`s of an array of tables, as written (validated where the array is read)."""
    if not isinstance(value, list):
        return []
    return [table["id"] for table in value if isinstance(table, dict) and isinstance(table.get("id"), str)]


def _kind(value: object) -> str:
    """How a TOML value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _ids(table: dict[str, Any]) -> str:
    return ", ".join(sorted(table)) or "(none defined)"

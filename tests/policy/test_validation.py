"""Broken policy files: every mistake named by file, key path and what was expected."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policydesk.policy.loading import PolicyError, default_policy_path, load_policy

Document = dict[str, Any]


def default_document() -> Document:
    return tomllib.loads(default_policy_path().read_text(encoding="utf-8"))


def to_toml(document: Document) -> str:
    """A minimal TOML writer for test documents (tables, arrays of tables, inline values)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, list):
            return "[" + ", ".join(value(item) for item in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(item)}" for k, item in v.items()) + "}"
        raise TypeError(type(v))

    def table(prefix: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not _is_table(v) and not _is_table_array(v)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in scalars.items())
        for k, v in body.items():
            name = f"{prefix}.{json.dumps(k)}" if prefix else json.dumps(k)
            if _is_table(v):
                table(name, v)
            elif _is_table_array(v):
                for item in v:
                    lines.append(f"[[{name}]]")
                    lines.extend(f"{json.dumps(ik)} = {value(iv)}" for ik, iv in item.items())

    table("", document)
    return "\n".join(lines) + "\n"


def _is_table(v: Any) -> bool:
    return isinstance(v, dict) and any(isinstance(i, dict) for i in v.values())


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) for i in v)


def errors_for(tmp_path: Path, change: Callable[[Document], None]) -> list[str]:
    document = copy.deepcopy(default_document())
    change(document)
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    lines = [str(issue) for issue in caught.value.issues]
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_the_test_writer_round_trips_the_default_policy(tmp_path: Path) -> None:
    path = tmp_path / "same.toml"
    path.write_text(to_toml(default_document()), encoding="utf-8")
    assert load_policy(path).plans.keys() == load_policy().plans.keys()


def _set(path: str, new: Any) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        *parents, last = path.split("/")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = new
        elif new is DELETE:
            del node[last]
        else:
            node[last] = new

    return change


DELETE = object()

BROKEN: list[tuple[str, Callable[[Document], None], str]] = [
    ("unknown plan in a route table", _set("plans/growth/routes", {"plan-question": "nowhere"}),
     "plans.growth.routes.plan-question: unknown route 'nowhere'"),
    ("interval end equals start", _set("offices/us-west/hours/0/close", "09:00"),
     "offices.us-west.hours[0].close: equals open"),
    ("unknown time zone", _set("offices/singapore/zone", "Asia/Singapour"),
     "offices.singapore.zone: "),
    ("bad offset", _set("offices/singapore/zone", "UTC+25:00"), "offices.singapore.zone: "),
    ("duplicate request type id", lambda d: d["request_types"].append(dict(d["request_types"][0])),
     "request_types[6].id: duplicate id 'feature-explanation' (also at request_types[0])"),
    ("unknown office in a region", _set("regions/emea/office", "berlin"),
     "regions.emea.office: unknown office 'berlin'"),
    ("a calendar that is never open", _set("offices/us-west/hours", []),
     "offices.us-west.hours: expected a non-empty array"),
    ("union of an unknown calendar", _set("calendars/premium-24x5/union", ["us-west", "tokyo"]),
     "calendars.premium-24x5.union: unknown calendar 'tokyo'"),
    ("missing Japanese text", _set("plans/growth/name", {"en": "Growth"}),
     "plans.growth.name.ja: missing; customer texts need English and Japanese"),
    ("unknown request type in a plan", _set("plans/starter/request_types", ["bug-report-criticall"]),
     "plans.starter.request_types: unknown request type 'bug-report-criticall'"),
    ("unknown day", _set("offices/us-west/hours/0/days", ["mon", "funday"]),
     "offices.us-west.hours[0].days: unknown day 'funday'"),
    ("bad clock time", _set("offices/us-west/hours/0/open", "9am"),
     "offices.us-west.hours[0].open: '9am' is not a time"),
    ("two targets at once", _set("plans/growth/first_response/business_hours", 16),
     "plans.growth.first_response: expected exactly one of"),
    ("negative target", _set("plans/growth/first_response/business_days", -2),
     "plans.growth.first_response.business_days: expected a positive number, got -2"),
    ("unknown country for holidays", _set("offices/us-west/holidays", {"country": "XX"}),
     "offices.us-west.holidays.country: unknown country 'XX'"),
    ("bad holiday date", _set("offices/us-west/holidays", {"country": "US", "extra": ["2026-02-30"]}),
     "offices.us-west.holidays.extra[0]: '2026-02-30' is not a date"),
    ("unknown key (typo)", _set("plans/growth/meeting", True), "plans.growth.meeting: unknown key"),
    ("bad handled_by", _set("plans/plus/handled_by", "office"),
     "plans.plus.handled_by: expected 'region' or 'global', got 'office'"),
    ("out-of-scope topic with no route for a plan", _set("plans/growth/routes", {}),
     "plans.growth.routes: no route for out-of-scope topic 'plan-question'"),
    ("route contact neither email nor role", _set("routes/sales-starter/contacts", ["sales team"]),
     "routes.sales-starter.contacts: 'sales team' is neither an email address nor a contact role"
     " (account-executive, customer-success-manager)"),
    ("desk names an unknown feedback topic", _set("desk/feedback_topic", "wishes"),
     "desk.feedback_topic: unknown out-of-scope topic 'wishes'; expected one of"),
    ("desk names a request type as the plan-question topic", _set("desk/plan_question_topic", "concepts"),
     "desk.plan_question_topic: unknown out-of-scope topic 'concepts'"),
    ("desk names an unknown outage priority", _set("desk/outage_priority", "p0"),
     "desk.outage_priority: unknown priority 'p0'; expected one of critical, high, low, normal"),
    ("desk names an unknown default priority", _set("desk/default_priority", "routine"),
     "desk.default_priority: unknown priority 'routine'; expected one of critical, high, low, normal"),
    ("desk names an unknown email request type", _set("desk/email_request_type", "question"),
     "desk.email_request_type: unknown request type 'question'"),
    ("desk queue label in one language", _set("desk/global_queue", {"en": "Global"}),
     "desk.global_queue.ja: missing"),
    ("desk key typo", _set("desk/feedback", "feature-request"), "desk.feedback: unknown key"),
    ("contact role naming no person of the organisation",
     _set("contact_roles/account-executive/person", "sales_rep"),
     "contact_roles.account-executive.person: expected one of account_executive, customer_success_manager"),
    ("route naming a contact role the policy dropped",
     lambda d: d["contact_roles"].pop("customer-success-manager"),
     "routes.account-team.contacts: 'customer-success-manager' is neither an email address"
     " nor a contact role"),
    ("overlapping intervals", lambda d: d["offices"]["us-west"]["hours"].append(
        {"days": ["mon"], "open": "16:00", "close": "18:00"}),
     "offices.us-west.hours: intervals overlap on mon"),
    ("mission-critical type not eligible", _set("plans/premium/request_types", ["concepts"]),
     "plans.premium.mission_critical.request_types: 'bug-report-critical' is not eligible for this plan"),
    ("global plan without a calendar", _set("plans/premium/first_response", {
        "business_days": 1, "text": {"en": "x", "ja": "x"}}),
     "plans.premium.first_response.calendar: missing; a globally handled plan has no office calendar"),
    ("wrong format version", _set("format", 2), "format: expected 1, got 2"),
    ("union cycle", lambda d: d["calendars"].update({
        "a": {"name": {"en": "a", "ja": "a"}, "union": ["b"]},
        "b": {"name": {"en": "b", "ja": "b"}, "union": ["a"]}}),
     "calendars.a.union: unions refer to each other"),
    ("in-scope id reused out of scope", lambda d: d["out_of_scope"].append(
        {"id": "concepts", "name": {"en": "c", "ja": "c"}, "route": "community"}),
     "out_of_scope[7].id: 'concepts' is also an in-scope request type"),
    ("bad id", _set("regions", {"Americas": {"name": {"en": "A", "ja": "A"}, "office": "us-west"}}),
     "regions.Americas: 'Americas' is not an id"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_policy_names_key_path_and_expectation(
    tmp_path: Path, change: Callable[[Document], None], expected: str
) -> None:
    errors = errors_for(tmp_path, change)
    assert any(error.startswith(expected) for error in errors), errors


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    def many(document: Document) -> None:
        document["offices"]["us-west"]["zone"] = "Mars/Olympus"
        document["regions"]["apac"]["office"] = "tokyo"
        document["plans"]["growth"]["first_response"]["business_days"] = 0
        del document["plans"]["plus"]["name"]["ja"]

    errors = errors_for(tmp_path, many)
    keys = {error.split(":")[0] for error in errors}
    assert {"offices.us-west.zone", "regions.apac.office", "plans.growth.first_response.business_days",
            "plans.plus.name.ja"} <= keys  # fmt: skip


def test_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\n[plans\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.toml: \(file\): not valid TOML"):
        load_policy(path)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sjis.toml"
    path.write_bytes('title = "サポート"\n'.encode("shift_jis"))
    with pytest.raises(PolicyError, match=r"sjis\.toml: \(file\): not UTF-8"):
        load_policy(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nowhere\.toml: \(file\): cannot read"):
        load_policy(tmp_path / "nowhere.toml")


def test_empty_file_lists_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    keys = {issue.key for issue in caught.value.issues}
    assert {"format", "id", "version", "offices", "plans", "title"} <= keys


def test_policy_without_desk_names_gets_the_default_ids_it_has(tmp_path: Path) -> None:
    document = default_document()
    del document["desk"], document["contact_roles"]
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    policy = load_policy(path)
    assert policy.desk.feedback_topic == "feature-request"
    assert policy.desk.plan_question_topic == "plan-question"
    assert policy.desk.outage_priority == "critical"
    assert policy.desk.default_priority == "normal"
    assert policy.desk.email_request_type == "troubleshooting"
    assert policy.desk.global_queue.en == "Global"
    assert set(policy.contact_roles) == {"account-executive", "customer-success-manager"}


def test_desk_names_the_policy_lacks_are_none_and_email_takes_the_first_type(tmp_path: Path) -> None:
    document = default_document()
    del document["desk"]
    document["out_of_scope"] = [t for t in document["out_of_scope"] if t["id"] != "feature-request"]
    document["priorities"] = [p for p in document["priorities"] if p["id"] not in ("critical", "normal")]
    document["request_types"] = [t for t in document["request_types"] if t["id"] != "troubleshooting"]
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    policy = load_policy(path)
    assert policy.desk.feedback_topic is None
    assert policy.desk.outage_priority is None
    assert policy.desk.default_priority == "low"  # the least urgent listed
    assert policy.desk.email_request_type == "feature-explanation"

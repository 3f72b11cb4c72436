"""The household page's change timeline: each `HouseholdEvent` told in one Chinese sentence.

Event data holds ids and values only; names, household numbers and village names are looked up here
in three bulk queries for the whole timeline.
"""

from dataclasses import dataclass, field

from zhenxing.areas.models import Area
from zhenxing.audit.models import Source
from zhenxing.registry.models import Household, HouseholdEvent, HouseholdKind, Membership, Person

Kind = HouseholdEvent.Kind
HOUSEHOLD_LABELS = {"kind": "户类型", "lifted_year": "脱贫年度", "lifted_attribute": "脱贫属性"}
PERSON_LABELS = {
    **{f.name: str(f.verbose_name) for f in Person._meta.get_fields() if hasattr(f, "verbose_name")},
    "phone": "联系电话",
    "relation": "与户主关系",
}
_PERSON_KEYS = ("person", "old_head", "new_head")
_HOUSEHOLD_KEYS = ("new_household", "from_household", "source", "target")


@dataclass
class Entry:
    event: HouseholdEvent
    text: str
    # Other households the change involved: (number, public_id) for links.
    related: list[tuple[str, str]] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return Source(self.event.source).label if self.event.source in Source.values else self.event.source


@dataclass
class _Names:
    persons: dict
    households: dict
    areas: dict

    def person(self, pk) -> str:
        return self.persons.get(pk, f"（人员{pk}）")

    def people(self, pks) -> str:
        return "、".join(self.person(pk) for pk in pks)

    def household(self, pk) -> str:
        return self.households.get(pk, ("？", ""))[0]


def _value(name: str, value) -> str:
    if value in (None, ""):
        return "（空）"
    if name == "kind":
        return HouseholdKind(value).label
    return str(value)


def _changes(changes: dict, labels: dict) -> str:
    return "；".join(
        f"{labels.get(k, k)}：{_value(k, old)} → {_value(k, new)}" for k, (old, new) in changes.items()
    )


def _describe(event: HouseholdEvent, names: _Names) -> str:
    d = event.data
    kind = event.kind
    if kind == Kind.REGISTERED:
        return f"建档登记，{d.get('members', '')}人"
    if kind == Kind.EDITED:
        return _changes(d.get("changes", {}), HOUSEHOLD_LABELS)
    if kind == Kind.MEMBER_ADDED:
        reason = Membership.StartReason(d["start_reason"]).label
        return f"{names.person(d['person'])}（{d['relation']}）入户，原因：{reason}"
    if kind == Kind.MEMBER_REMOVED:
        text = f"{names.person(d['person'])}（{d['relation']}）离户，原因：{event.reason}"
        return text + ("；该户已无在册成员，已注销" if d.get("household_closed") else "")
    if kind == Kind.MEMBER_EDITED:
        named = "、".join(PERSON_LABELS.get(f, f) for f in d.get("fields", []))
        detail = _changes(d.get("changes", {}), PERSON_LABELS)
        return f"修改{names.person(d['person'])}的{named}" + (f"（{detail}）" if detail else "")
    if kind == Kind.HEAD_CHANGED:
        old = names.person(d["old_head"]) if d.get("old_head") else "（无）"
        return (
            f"户主由{old}变更为{names.person(d['new_head'])}；"
            f"{old}与新户主的关系登记为“{d['old_head_relation']}”"
        )
    if kind == Kind.SPLIT and "new_household" in d:
        return f"{names.people(d['persons'])}分出，另立新户 {names.household(d['new_household'])}"
    if kind == Kind.SPLIT:
        return f"由户 {names.household(d['from_household'])} 分出：{names.people(d['persons'])}"
    if kind == Kind.MERGED and "source" in d:
        return f"户 {names.household(d['source'])} 并入本户，转入成员：{names.people(d['persons'])}"
    if kind == Kind.MERGED:
        return (
            f"本户并入户 {names.household(d['target'])}，成员{names.people(d['persons'])}转入该户；本户注销"
        )
    if kind == Kind.MOVED:
        return f"由{names.areas.get(d['from_area'], d['from_area'])}迁往{names.areas.get(d['to_area'], d['to_area'])}"
    if kind == Kind.INCOME_RECORDED:
        after = d["after"]
        text = f"{d['year']}年度：人均纯收入 {after['net_income_per_capita']} 元（家庭人口 {after['household_size']} 人）"
        if d.get("before"):
            text = f"更正{d['year']}年度收入：人均纯收入由 {d['before']['net_income_per_capita']} 元改为 {after['net_income_per_capita']} 元"
        return text
    return event.reason or event.get_kind_display()


def timeline(household: Household, until=None) -> list[Entry]:
    """The household's events, newest first (only those effective on or before `until`, if given)."""
    events = HouseholdEvent.objects.filter(household=household).select_related("actor").defer("snapshot")
    if until is not None:
        events = events.filter(effective_date__lte=until)
    events = list(events.order_by("-effective_date", "-id"))
    person_ids, household_ids, codes = set(), set(), set()
    for e in events:
        person_ids.update(e.data[k] for k in _PERSON_KEYS if e.data.get(k))
        person_ids.update(e.data.get("persons", []))
        household_ids.update(e.data[k] for k in _HOUSEHOLD_KEYS if e.data.get(k))
        codes.update(e.data[k] for k in ("from_area", "to_area") if e.data.get(k))
    names = _Names(
        persons=dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "name"))
        if person_ids
        else {},
        households={
            pk: (number, str(public_id))
            for pk, number, public_id in Household.objects.filter(pk__in=household_ids).values_list(
                "pk", "number", "public_id"
            )
        }
        if household_ids
        else {},
        areas=dict(Area.objects.filter(code__in=codes).values_list("code", "name")) if codes else {},
    )
    return [
        Entry(
            event=e,
            text=_describe(e, names),
            related=[
                names.households[e.data[k]] for k in _HOUSEHOLD_KEYS if e.data.get(k) in names.households
            ],
        )
        for e in events
    ]

"""Dunning planner: which reminder to send for a lease today, by which channels, and why.

The planner is the decision logic of the dunning runs, in plain Python: the Odoo models
gather the facts of each lease in bulk (its overdue rent calls, the reminders already
sent, the tenant's late payments, an active payment plan, the contacts of the tenants and
guarantors) into a :class:`DunningCase`, the policy into a :class:`PolicySpec`, and
:func:`plan` returns a :class:`Decision` with every reason spelled out as a
:class:`Reason` code (translated by the models).

Rules, in order
---------------
1. **Exclusions.** A lease in dispute or in legal proceedings (``litigation``), a lease
   whose dunning is paused, and a policy with no level (the "empty plan" of a new tenant)
   are excluded: nothing is sent.
2. **Stop on payment.** Only items with an open amount count: a rent call paid since the
   last reminder is gone. Payments received but not yet matched (``unallocated_cents``)
   are deducted from the amount owed: when they cover it, nothing is sent.
3. **Payment plan.** While a payment plan is honoured, the rent calls it covers are left
   out; when an instalment is missed the plan no longer protects them and dunning resumes
   where it stood.
4. **Minimum amount.** Below the policy's minimum, nothing is sent.
5. **Level.** The days late are counted from the oldest open due date (negative before it).
   A level is *due* when its delay is reached; a courteous level (negative delay, before
   the due date) is only due until the due date. The reminders already sent for the open
   items form the current *episode*: the next level is the first due level after the last
   one sent (``catch_up="in_order"``, the default, never skips a step) or the highest due
   level (``catch_up="jump"``). A new level waits ``min_interval_days`` after the previous
   reminder. Without any reminder yet, a chronic late payer (``late_count`` at least
   ``chronic_late_count`` in the last twelve months) skips the gentler levels: he gets
   level ``chronic_start_index`` as soon as a level is due after the due date (and no
   courteous reminder before it). After the last level, nothing more is sent.
6. **Channels and recipients.** Each tenant gets the level's channels (email, SMS,
   letter); guarantors get a copy by email and letter from ``guarantor_from_index`` (or
   on a level flagged ``copy_guarantors``). A channel a contact cannot be reached by
   (no email, no valid mobile number, incomplete postal address) is reported in
   ``missing`` while the other channels still go. When no tenant can be reached by any
   channel and the level has no activity for a person, the level is *blocked*: it is not
   counted as sent and is tried again at the next run (the models ask the manager to
   complete the contact either way).
7. **Fees.** A level fee only applies to the lease kinds the policy allows, and **never**
   to a residential lease (French law: loi du 6 juillet 1989, art. 4 i and p):
   :func:`check_fee_allowed` raises :class:`FeeNotAllowed` for them.

Money is integer cents, dates are :class:`datetime.date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "ACTIONS",
    "CHANNELS",
    "GUARANTOR_CHANNELS",
    "RESIDENTIAL_KINDS",
    "Contact",
    "Decision",
    "Delivery",
    "DunningCase",
    "FeeNotAllowed",
    "LevelSpec",
    "Missing",
    "OverdueItem",
    "PastReminder",
    "PaymentPlanStatus",
    "PolicySpec",
    "Reason",
    "check_fee_allowed",
    "plan",
    "plan_all",
]

#: Channels a level can send by. An activity for a person is a separate flag.
CHANNELS = ("email", "sms", "letter")
#: Channels of the copies sent to guarantors (no SMS to a third party).
GUARANTOR_CHANNELS = frozenset({"email", "letter"})
#: Lease kinds on which no late fee nor reminder fee may ever be charged.
RESIDENTIAL_KINDS = frozenset({"residential", "residential_furnished"})

SEND, WAIT, SKIP, EXCLUDE, BLOCKED = "send", "wait", "skip", "exclude", "blocked"
#: Possible :attr:`Decision.action` values.
ACTIONS = (SEND, WAIT, SKIP, EXCLUDE, BLOCKED)


class FeeNotAllowed(ValueError):
    """A fee was asked for on a lease kind that allows none (residential leases)."""


def check_fee_allowed(lease_kind, allowed_kinds=None):
    """Raise :class:`FeeNotAllowed` unless a fee may be charged on ``lease_kind``.

    Residential leases never allow one, whatever ``allowed_kinds`` says; other kinds must be
    in ``allowed_kinds`` when it is given.
    """
    if lease_kind in RESIDENTIAL_KINDS:
        raise FeeNotAllowed(
            f"no late fee nor reminder fee may be charged on a {lease_kind} lease"
        )
    if allowed_kinds is not None and lease_kind not in allowed_kinds:
        raise FeeNotAllowed(f"the policy allows no fee on {lease_kind} leases")


# -- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelSpec:
    """One level of a policy, as the planner needs it."""

    key: int
    delay_days: int
    channels: frozenset = frozenset()
    activity: bool = False
    copy_guarantors: bool = False
    fee_cents: int = 0
    name: str = ""

    def __post_init__(self):
        unknown = set(self.channels) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)} on level {self.key}")
        if not isinstance(self.fee_cents, int) or isinstance(self.fee_cents, bool):
            raise TypeError("fee_cents must be integer cents")
        if self.fee_cents < 0:
            raise ValueError("a fee cannot be negative")


@dataclass(frozen=True)
class PolicySpec:
    """A dunning policy: ordered levels and the rules around them."""

    key: int
    levels: tuple = ()
    min_amount_cents: int = 0
    min_interval_days: int = 0
    chronic_late_count: int = 0
    chronic_start_index: int = 0
    catch_up: str = "in_order"
    guarantor_from_index: int | None = None
    fee_lease_kinds: frozenset = frozenset()

    def __post_init__(self):
        if self.catch_up not in ("in_order", "jump"):
            raise ValueError(f"catch_up must be 'in_order' or 'jump', not {self.catch_up!r}")
        delays = [level.delay_days for level in self.levels]
        if delays != sorted(delays) or len(set(delays)) != len(delays):
            raise ValueError("the levels' delays must strictly increase with their order")
        if self.min_amount_cents < 0 or self.min_interval_days < 0:
            raise ValueError("minimum amount and interval cannot be negative")
        if self.chronic_late_count < 0 or not 0 <= self.chronic_start_index <= max(
            len(self.levels) - 1, 0
        ):
            raise ValueError("the chronic late payers' start level is not one of the levels")
        if self.fee_lease_kinds & RESIDENTIAL_KINDS:
            raise FeeNotAllowed("a policy cannot allow fees on residential leases")

    def index_of(self, level_key):
        """Position of the level ``level_key`` in the policy, or None."""
        for index, level in enumerate(self.levels):
            if level.key == level_key:
                return index
        return None


@dataclass(frozen=True)
class OverdueItem:
    """An open rent call: its due date and what is left to pay (cents)."""

    key: int
    due_date: date
    residual_cents: int


@dataclass(frozen=True)
class PastReminder:
    """A reminder already sent for a lease: its level, date and the items it named."""

    level_key: int
    date: date
    item_keys: frozenset = frozenset()


@dataclass(frozen=True)
class PaymentPlanStatus:
    """An active payment plan of the lease and whether it is honoured today."""

    key: int
    covered_item_keys: frozenset = frozenset()
    honoured: bool = True


@dataclass(frozen=True)
class Contact:
    """How a tenant or guarantor can be reached.

    ``email``/``mobile`` are the usable address and E.164 number, or None; the
    ``*_problem`` fields say why one is unusable (e.g. ``"missing"``, ``"invalid"``,
    ``"not_mobile"``, ``"incomplete"``).
    """

    key: int
    role: str = "tenant"
    email: str | None = None
    email_problem: str | None = None
    mobile: str | None = None
    mobile_problem: str | None = None
    address_ok: bool = False
    address_problem: str | None = None

    def reach(self, channel):
        """``(True, None)`` when reachable by ``channel``, else ``(False, problem)``."""
        if channel == "email":
            return (True, None) if self.email else (False, self.email_problem or "missing")
        if channel == "sms":
            return (True, None) if self.mobile else (False, self.mobile_problem or "missing")
        if channel == "letter":
            return (True, None) if self.address_ok else (
                False, self.address_problem or "incomplete"
            )
        raise ValueError(f"unknown channel {channel!r}")


@dataclass(frozen=True)
class DunningCase:
    """Everything the planner needs to know about one lease."""

    key: int
    lease_kind: str = "residential"
    litigation: str = "none"
    paused: bool = False
    items: tuple = ()
    reminders: tuple = ()
    late_count: int = 0
    plan: PaymentPlanStatus | None = None
    contacts: tuple = ()
    unallocated_cents: int = 0


# -- outputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why the planner decided what it did: a stable code and its parameters."""

    code: str
    params: tuple = ()

    def as_dict(self):
        return dict(self.params)


def _reason(code, **params):
    return Reason(code, tuple(sorted(params.items())))


@dataclass(frozen=True)
class Delivery:
    """One message to send: to whom (contact key and role) and by which channel."""

    contact_key: int
    role: str
    channel: str


@dataclass(frozen=True)
class Missing:
    """A channel of the level that a contact cannot be reached by, and why."""

    contact_key: int
    role: str
    channel: str
    problem: str


@dataclass
class Decision:
    """The planner's answer for one lease."""

    case_key: int
    action: str
    level_key: int | None = None
    level_index: int | None = None
    item_keys: tuple = ()
    amount_cents: int = 0
    oldest_due_date: date | None = None
    days_late: int | None = None
    deliveries: tuple = ()
    missing: tuple = ()
    activity: bool = False
    fee_cents: int = 0
    reasons: list = field(default_factory=list)

    @property
    def channels(self):
        """The channels that will actually be used, in the usual order."""
        used = {delivery.channel for delivery in self.deliveries}
        return tuple(channel for channel in CHANNELS if channel in used)

    def reason_codes(self):
        return [reason.code for reason in self.reasons]


# -- the planner -----------------------------------------------------------------------


def plan_all(cases, policies, today):
    """Plan every case; ``policies`` maps a case key to its :class:`PolicySpec`."""
    return [plan(case, policies[case.key], today) for case in cases]


def plan(case, policy, today):
    """Decide the reminder of ``case`` under ``policy`` on ``today`` (see module doc)."""
    decision = Decision(case_key=case.key, action=SKIP)
    owed = [item for item in case.items if item.residual_cents > 0]
    if not owed:
        decision.reasons.append(_reason("nothing_due"))
        return decision
    _describe(decision, owed, case, today)
    if _excluded(case, policy, decision):
        return decision
    items = _open_items(case, owed, decision)
    if items is None:
        return decision
    amount = _describe(decision, items, case, today)
    if case.unallocated_cents > 0 and amount <= 0:
        decision.reasons.append(_reason("unallocated_covers", cents=case.unallocated_cents))
        return decision
    if amount < policy.min_amount_cents:
        decision.reasons.append(
            _reason("below_minimum", cents=amount, minimum=policy.min_amount_cents)
        )
        return decision
    index = _select_level(case, policy, items, today, decision)
    if index is None:
        return decision
    level = policy.levels[index]
    decision.level_key = level.key
    decision.level_index = index
    decision.activity = level.activity
    _route(case, policy, level, index, decision)
    decision.fee_cents = _fee(case, policy, level, decision)
    tenant_reached = any(d.role == "tenant" for d in decision.deliveries)
    if not tenant_reached and not level.activity:
        decision.action = BLOCKED
        decision.reasons.append(_reason("no_reachable_tenant"))
    else:
        decision.action = SEND
    return decision


def _excluded(case, policy, decision):
    if case.litigation and case.litigation != "none":
        decision.action = EXCLUDE
        decision.reasons.append(_reason("litigation", state=case.litigation))
        return True
    if case.paused:
        decision.action = EXCLUDE
        decision.reasons.append(_reason("paused"))
        return True
    if not policy.levels:
        decision.action = EXCLUDE
        decision.reasons.append(_reason("empty_policy"))
        return True
    return False


def _describe(decision, items, case, today):
    """Fill the decision's items, amount and lateness; returns the net amount (cents)."""
    amount = sum(item.residual_cents for item in items) - max(case.unallocated_cents, 0)
    oldest = min(item.due_date for item in items)
    decision.item_keys = tuple(sorted(item.key for item in items))
    decision.amount_cents = max(amount, 0)
    decision.oldest_due_date = oldest
    decision.days_late = (today - oldest).days
    return amount


def _open_items(case, items, decision):
    """The items not protected by an honoured payment plan, or None when none is left."""
    plan_status = case.plan
    if plan_status is not None:
        if plan_status.honoured:
            covered = [item for item in items if item.key in plan_status.covered_item_keys]
            items = [item for item in items if item.key not in plan_status.covered_item_keys]
            if covered:
                decision.reasons.append(
                    _reason("payment_plan_honoured", plan=plan_status.key, items=len(covered))
                )
            if not items:
                return None
        else:
            decision.reasons.append(_reason("payment_plan_missed", plan=plan_status.key))
    return items


def _due_indexes(policy, days_late):
    """Indexes of the levels due ``days_late`` days after (or before) the due date."""
    return [
        index
        for index, level in enumerate(policy.levels)
        if level.delay_days <= days_late and not (level.delay_days < 0 and days_late > 0)
    ]


def _last_reminder(case, policy, items):
    """The latest reminder of the current episode (it named an item still open)."""
    open_keys = {item.key for item in items}
    last = None
    for reminder in case.reminders:
        if not (set(reminder.item_keys) & open_keys):
            continue
        index = policy.index_of(reminder.level_key)
        if index is None:
            continue
        if last is None or (reminder.date, index) > (last[0].date, last[1]):
            last = (reminder, index)
    return last


def _select_level(case, policy, items, today, decision):
    days_late = (today - min(item.due_date for item in items)).days
    due = _due_indexes(policy, days_late)
    last = _last_reminder(case, policy, items)
    if last is not None:
        reminder, last_index = last
        if last_index >= len(policy.levels) - 1:
            decision.reasons.append(_reason("last_level_reached", level=last_index + 1))
            return None
        start = last_index + 1
        waited = (today - reminder.date).days
        if waited < policy.min_interval_days:
            decision.action = WAIT
            decision.reasons.append(
                _reason("interval", days=waited, minimum=policy.min_interval_days)
            )
            return None
    else:
        start = 0
        if policy.chronic_late_count and case.late_count >= policy.chronic_late_count:
            start = policy.chronic_start_index
        if start:
            # A chronic late payer gets the firmer level as soon as a reminder is due after
            # the due date (never before it: no courteous step for him).
            if any(policy.levels[i].delay_days >= 0 for i in due):
                index = max(start, due[-1]) if policy.catch_up == "jump" else start
                decision.reasons.append(
                    _reason("chronic_skip", late_count=case.late_count, level=start + 1)
                )
                decision.reasons.append(_reason("level_due", level=index + 1, days=days_late))
                return index
            due = []
    candidates = [index for index in due if index >= start]
    if not candidates:
        decision.action = WAIT
        upcoming = [i for i in range(start, len(policy.levels)) if i not in due]
        next_delay = policy.levels[upcoming[0]].delay_days if upcoming else None
        decision.reasons.append(_reason("not_due_yet", days=days_late, next_delay=next_delay))
        return None
    index = candidates[-1] if policy.catch_up == "jump" else candidates[0]
    if policy.catch_up == "jump" and index > candidates[0]:
        decision.reasons.append(_reason("jump", level=index + 1))
    decision.reasons.append(_reason("level_due", level=index + 1, days=days_late))
    return index


def _route(case, policy, level, index, decision):
    """Fill the deliveries and missing channels of the chosen level."""
    copy_guarantors = level.copy_guarantors or (
        policy.guarantor_from_index is not None and index >= policy.guarantor_from_index
    )
    deliveries, missing = [], []
    for contact in case.contacts:
        if contact.role == "guarantor":
            if not copy_guarantors:
                continue
            channels = [c for c in CHANNELS if c in level.channels and c in GUARANTOR_CHANNELS]
        else:
            channels = [c for c in CHANNELS if c in level.channels]
        for channel in channels:
            ok, problem = contact.reach(channel)
            if ok:
                deliveries.append(Delivery(contact.key, contact.role, channel))
            else:
                missing.append(Missing(contact.key, contact.role, channel, problem))
    if copy_guarantors and any(c.role == "guarantor" for c in case.contacts):
        decision.reasons.append(_reason("guarantor_copy"))
    if missing:
        decision.reasons.append(_reason("missing_contact", count=len(missing)))
    decision.deliveries = tuple(deliveries)
    decision.missing = tuple(missing)


def _fee(case, policy, level, decision):
    if not level.fee_cents:
        return 0
    try:
        check_fee_allowed(case.lease_kind, policy.fee_lease_kinds)
    except FeeNotAllowed:
        code = "no_fee_residential" if case.lease_kind in RESIDENTIAL_KINDS else "no_fee_kind"
        decision.reasons.append(_reason(code, kind=case.lease_kind))
        return 0
    decision.reasons.append(_reason("fee", cents=level.fee_cents))
    return level.fee_cents

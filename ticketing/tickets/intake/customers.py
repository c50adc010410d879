"""Intake, step 3 (persist), the batch's customers: read once for the whole batch, created in one statement."""

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update

from ticketing.customers.models import Customer
from ticketing.db import UTCDateTime
from ticketing.tickets.intake.prepare import Draft
from ticketing.tickets.intake.rows import insert_rows
from ticketing.tickets.models import Ticket


class BatchCustomers:
    """The batch's customers: the known ones (one query for the whole batch) and the ones it creates.

    A customer is recognised by email (whatever its capitals), external id or phone; when several match, the
    oldest. A customer created by an earlier ticket of the batch is recognised by the later ones, and their
    tickets count as recent contacts like any other.
    """

    def __init__(self, db, drafts: list[Draft], repeat_window: timedelta):
        self.window = repeat_window
        self.known: dict[tuple[str, str], dict] = {}  # (identifier kind, value) -> customer
        self.new: list[dict] = []
        self.upgraded: set[int] = set()  # known customers who became VIP
        self.contacts: dict[int, list[datetime]] = {}  # customer id -> created_at of their recent tickets
        self.batch_contacts: Counter = Counter()  # id() of a customer dict -> tickets of this batch so far
        given = {kind: {v for d in drafts if (v := _identifier(d, kind))} for kind in _KINDS}
        by = tuple(kind for kind in _KINDS if given[kind])
        if not by:
            return
        rows = db.execute(_CUSTOMER_QUERIES[by], {kind: sorted(given[kind]) for kind in by}).mappings().all()
        for row in sorted(rows, key=lambda r: r["id"], reverse=True):  # the oldest wins: written last
            customer = dict(row)
            for kind in _KINDS:
                value = customer[kind].lower() if kind == "email" and customer[kind] else customer[kind]
                if value:
                    self.known[(kind, value)] = customer
        if rows:
            since = min(d.received_at for d in drafts) - repeat_window
            ids = sorted({r["id"] for r in rows})
            for customer_id, created_at in db.execute(_RECENT_TICKETS, {"ids": ids, "since": since}):
                self.contacts.setdefault(customer_id, []).append(created_at)

    def resolve(self, draft: Draft) -> tuple[dict, int]:
        """The draft's customer (known, created earlier in the batch, or new) and their recent tickets."""
        c = draft.ticket_in.customer
        consent = draft.ticket_in.consent
        keys = [(kind, v) for kind in _KINDS if (v := _identifier(draft, kind))] if consent else []
        matches = [self.known[k] for k in keys if k in self.known]
        if matches:
            customer = min(matches, key=lambda m: m["id"] if m.get("id") is not None else float("inf"))
        else:
            customer = {
                "id": None,
                "name": c.name if consent else "Anonymous customer",
                "email": c.email if consent else None,
                "phone": c.phone if consent else None,
                "external_id": c.external_id,
                "plan": c.plan,
                "language": c.language,
                "consent": consent,
                "created_at": draft.now,
            }
            self.new.append(customer)
        for k in keys:
            self.known.setdefault(k, customer)
        if c.plan == "vip" and customer["plan"] != "vip":
            customer["plan"] = "vip"  # the plan stays with the customer
            if customer["id"] is not None:
                self.upgraded.add(customer["id"])
        since = draft.received_at - self.window
        recent = sum(1 for t in self.contacts.get(customer["id"], ()) if t >= since) if customer["id"] else 0
        recent += self.batch_contacts[id(customer)]
        self.batch_contacts[id(customer)] += 1
        return customer, recent

    def write(self, db) -> None:
        if self.upgraded:
            db.execute(_MAKE_VIP, {"ids": sorted(self.upgraded)})
        if self.new:
            rows = [{k: c[k] for k in _CUSTOMER_COLUMNS} for c in self.new]
            for customer, customer_id in zip(self.new, insert_rows(db, Customer.__table__, rows), strict=True):
                customer["id"] = customer_id


_KINDS = ("email", "external_id", "phone")


def _identifier(draft: Draft, kind: str) -> str | None:
    value = getattr(draft.ticket_in.customer, kind)
    return value.lower() if kind == "email" and value else value


def _customer_query(by: tuple[str, ...]):
    match = {
        "email": func.lower(Customer.email).in_(bindparam("email", expanding=True)),
        "external_id": Customer.external_id.in_(bindparam("external_id", expanding=True)),
        "phone": Customer.phone.in_(bindparam("phone", expanding=True)),
    }
    return select(*Customer.__table__.c).where(or_(*(match[k] for k in by)))


# Built once per combination of identifiers: building a statement costs more than running it from the cache.
_CUSTOMER_QUERIES = {
    by: _customer_query(by)
    for by in (
        ("email",),
        ("external_id",),
        ("phone",),
        ("email", "external_id"),
        ("email", "phone"),
        ("external_id", "phone"),
        ("email", "external_id", "phone"),
    )
}
_RECENT_TICKETS = select(Ticket.customer_id, Ticket.created_at).where(
    Ticket.customer_id.in_(bindparam("ids", expanding=True)),
    Ticket.created_at >= bindparam("since", type_=UTCDateTime()),
)
_MAKE_VIP = update(Customer.__table__).where(Customer.id.in_(bindparam("ids", expanding=True))).values(plan="vip")
_CUSTOMER_COLUMNS = ("name", "email", "phone", "external_id", "plan", "language", "consent", "created_at")

"""Intake, step 2: decide. Everything about one new ticket, in memory: priority, SLA, team and agent, timeline.

Pure but for the agent pool, which only counts the slot it chose (claimed later, in the batch's transaction).
Each rule lives in its own module and is called once: priority `classification/priority.py`, SLA `sla/policy.py`,
the team from the business file, the agent `routing/choice.py` through `routing.service.AgentPool`.
"""

from dataclasses import dataclass

from ticketing.business.runtime import Business
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.routing.choice import TicketNeeds
from ticketing.routing.service import AgentPool, assignment_event
from ticketing.sla.policy import promise
from ticketing.tickets.intake.prepare import Draft, redact
from ticketing.tickets.models import PRIORITY_RANK


@dataclass
class Plan:
    """One new ticket as decided: its row, customer (a dict, id None until written), timeline and transcript."""

    row: dict
    customer: dict
    timeline: list[tuple[str, str, str, dict]]
    transcript: list[dict]
    agent_email: str | None


def decide(draft: Draft, business: Business, customer: dict, recent: int, agents: AgentPool) -> Plan:
    """The ticket's row, agent, timeline and transcript, for a customer with `recent` tickets in the repeat window."""
    ticket_in, now, verdict, language = draft.ticket_in, draft.now, draft.verdict, draft.language
    vip = customer["plan"] == "vip"
    priority, reasons = decide_priority(
        TicketFacts(ticket_in.description, verdict.category, verdict.subcategory, ticket_in.channel, vip, recent),
        business.config.priority_rules,
    )
    sla = promise(business.sla, priority, vip, draft.received_at)
    category = business.config.categories[verdict.category]
    agent, assignment = agents.choose(TicketNeeds(category.team, verdict.category, language, category.tier, vip), now)
    row = dict(
        idempotency_key=draft.idempotency_key,
        subject=ticket_in.subject
        if ticket_in.consent or not ticket_in.subject
        else redact(ticket_in.subject, ticket_in),
        description=draft.description,
        channel=ticket_in.channel,
        language=language,
        status="new",
        category=verdict.category,
        subcategory=verdict.subcategory,
        category_hint=ticket_in.category_hint,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        priority_reasons=reasons,
        team=category.team,
        tier=category.tier,
        assignee_id=agent.id if agent else None,
        queued_at=None if agent else now,
        conversation_id=ticket_in.conversation_id,
        order_number=ticket_in.order_number if ticket_in.consent else None,
        consent=ticket_in.consent,
        metadata=ticket_in.metadata,
        received_at=draft.received_at,
        created_at=now,
        updated_at=now,
        sla_policy=sla.policy,
        sla_vip=sla.vip,
        sla_state="ok",
        first_response_due_at=sla.first_response_due_at,
        resolution_due_at=sla.resolution_due_at,
        first_response_warn_at=sla.first_response_warn_at,
        resolution_warn_at=sla.resolution_warn_at,
        next_due_at=sla.first_response_due_at,
    )
    how = "the bot's hint" if verdict.used_hint else f"the classifier ({verdict.confidence:.0%} sure)"
    assigned = assignment_event(agent, assignment, "system:routing", category.team)
    timeline = [
        ("created", draft.actor, f"received on {ticket_in.channel} in {language}", {}),
        ("classified", "system", f"{verdict.category}/{verdict.subcategory} by {how}", {}),
        ("prioritised", "system", "; ".join(reasons), {"priority": priority}),
        ("routed", "system", f"category {verdict.category} goes to team {category.team}", {}),
        (
            "sla_started",
            "system",
            f"policy {sla.label}: first response by {sla.first_response_due_at:%Y-%m-%d %H:%M} UTC",
            {},
        ),
        (assigned["kind"], assigned["actor"], assigned["reason"], assigned["data"]),
    ]
    transcript = [
        {
            "author": line.sender,
            # Without consent the bot's lines keep the store's own phone; the customer's lose every number.
            "body": line.text
            if ticket_in.consent
            else redact(line.text, ticket_in, patterns=line.sender == "customer"),
            "source": "transcript",
            "created_at": line.timestamp,
        }
        for line in ticket_in.transcript
    ]
    return Plan(row, customer, timeline, transcript, agent.email if agent else None)

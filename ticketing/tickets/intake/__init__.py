"""Ticket intake: new tickets are created in batches, one transaction per batch (group commit).

Creating a ticket reads the customer and the agents and writes a customer, a ticket and its timeline. Done one
ticket at a time, those statements and the commit were most of a ticket's cost: on PostgreSQL, each round trip
costs driver CPU on our side and a commit on the server's. The tickets that arrive while a batch is being written
wait for the next one, so under load one batch carries many tickets through the same six statements, and alone a
ticket is a batch of one.

    1 prepare   (prepare.py, pure, in the request)   validate, language, mask personal data, classify  ─▶ Draft
    2 decide    (decide.py, pure, per ticket)         priority, SLA, team, agent (counted), timeline     ─▶ Plan
    3 persist   (persist.py, one transaction)         read keys, customers, agents · decide each · write · commit
    4 notify    (writer.py)                           each waiting request gets its ticket or its own error

    Intake.submit() queues a Draft; the writer thread (writer.py) takes every Draft waiting and runs steps 3-4 on
    the batch; customers.py reads and writes the batch's customers, rows.py is the many-rows INSERT.

The public names stay here: prepare, Draft, create_tickets, Outcome, Intake, redact.
"""

from ticketing.routing.service import Contention
from ticketing.tickets.intake.decide import Plan, decide
from ticketing.tickets.intake.persist import Outcome, create_tickets
from ticketing.tickets.intake.prepare import MAX_FUTURE_SKEW, Draft, prepare, redact
from ticketing.tickets.intake.writer import MAX_BATCH, Intake

__all__ = [
    "MAX_BATCH",
    "MAX_FUTURE_SKEW",
    "Contention",
    "Draft",
    "Intake",
    "Outcome",
    "Plan",
    "create_tickets",
    "decide",
    "prepare",
    "redact",
]

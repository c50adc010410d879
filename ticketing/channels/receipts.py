"""What WhatsApp says happened to the messages the outbox sent: sent, delivered, read, or failed with Meta's reason.

The WhatsApp channel (in the Rasa server) reports twice per message: when the Graph API accepts a pushed message it
names the outbox row and the `wamid` Meta gave it (status `sent`); when Meta's webhook later says `delivered`,
`read` or `failed` for that wamid, it reports the status (with the outbox row if it knows it; another Rasa server
may have sent the message, and then the wamid alone finds it here). A status never goes back (a late `delivered`
after `read` changes nothing); `failed` wins over everything, because the customer did not get it.

Statuses of wamids this backend never heard of (the bot's own answers, which are not outbox messages) are
answered as unknown and not kept.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.channels.models import ChannelReceipt, OutboundMessage
from ticketing.tickets.models import TicketEvent

RANK = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}


@dataclass(frozen=True)
class StatusReport:
    wamid: str
    status: str  # sent | delivered | read | failed
    timestamp: int | None = None  # when Meta says it happened (seconds since the epoch)
    outbound_id: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def error_text(errors: list[dict[str, Any]]) -> str | None:
    """Meta's errors as an agent reads them: `WhatsApp error 131047: <details>`."""
    parts = []
    for error in errors[:3]:
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        reason = details or error.get("message") or error.get("title") or "no reason given"
        parts.append(f"WhatsApp error {error.get('code', '?')}: {reason}")
    return "; ".join(parts)[:2000] or None


def _when(timestamp: int | None) -> datetime | None:
    if not timestamp or timestamp <= 0:
        return None
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def record_statuses(session: Session, reports: Iterable[StatusReport], now: datetime) -> tuple[int, list[str]]:
    """Record each report against its outbox row; (how many were recorded, the wamids nobody sent from here)."""
    recorded, unknown = 0, []
    for report in reports:
        receipt = session.scalars(select(ChannelReceipt).where(ChannelReceipt.external_id == report.wamid)).first()
        if receipt is None:
            outbound = session.get(OutboundMessage, report.outbound_id) if report.outbound_id is not None else None
            if outbound is None:
                unknown.append(report.wamid)
                continue
            receipt = ChannelReceipt(
                outbound_id=outbound.id, channel="whatsapp", external_id=report.wamid, status="sent", updated_at=now
            )
            session.add(receipt)
            session.flush()
        recorded += 1
        before = receipt.status
        if RANK.get(report.status, -1) < RANK.get(before, 0) or (report.status == before and before != "sent"):
            continue  # late (delivered after read) or repeated
        receipt.status = report.status
        receipt.status_at = _when(report.timestamp) or now
        receipt.updated_at = now
        if report.status == "failed":
            receipt.error = error_text(report.errors) or "WhatsApp error: no reason given"
            outbound = session.get(OutboundMessage, receipt.outbound_id)
            if outbound is not None and outbound.ticket_id is not None:
                # The timeline says so too: the agent may have moved on since the reply left.
                session.add(
                    TicketEvent(
                        ticket_id=outbound.ticket_id,
                        kind="whatsapp_not_delivered",
                        actor="system:whatsapp",
                        reason=receipt.error,
                        data={"outbound_id": outbound.id},
                        created_at=now,
                    )
                )
    session.commit()
    return recorded, unknown


def summary(receipts: list[ChannelReceipt]) -> dict[str, Any] | None:
    """One outbox row's state on WhatsApp: failed if any piece failed, else the least advanced piece's status."""
    if not receipts:
        return None
    failed = [r for r in receipts if r.status == "failed"]
    chosen = failed[0] if failed else min(receipts, key=lambda r: RANK.get(r.status, 0))
    return {"status": chosen.status, "error": chosen.error, "at": chosen.status_at or chosen.updated_at}


def of_outbound(session: Session, outbound_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The WhatsApp state of each of these outbox rows that has one, by outbox id."""
    if not outbound_ids:
        return {}
    grouped: dict[int, list[ChannelReceipt]] = {}
    for receipt in session.scalars(
        select(ChannelReceipt).where(ChannelReceipt.outbound_id.in_(outbound_ids)).order_by(ChannelReceipt.id)
    ):
        grouped.setdefault(receipt.outbound_id, []).append(receipt)
    return {outbound_id: state for outbound_id, rows in grouped.items() if (state := summary(rows))}

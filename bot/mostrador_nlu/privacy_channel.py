"""Routes on the Rasa server for the backend's privacy requests: read or erase one conversation as stored.

Rasa's HTTP API has no way to delete a conversation, and its `GET /conversations/{id}/tracker` writes to the
store as it reads (it creates the conversation when there is none and starts a new session when the last one
expired). These two routes act on the stored rows only, through our tracker store (tracker_store.py):

    GET    /webhooks/privacy/conversations/{id}   every stored event, all sessions            -> {"events": [...]}
    DELETE /webhooks/privacy/conversations/{id}   the action server forgets the conversation's pending tickets,
                                                  then every stored event is deleted  -> {"events_deleted": n, ...}

Both need `Authorization: Bearer <the Rasa API token>` (a header, so the token never sits in a URL or an access
log). Registered as an input channel in credentials.yml (`mostrador_nlu.privacy_channel.PrivacyChannel` with
`token: ${BOT_API_TOKEN}`); it never receives customer messages.
"""

import asyncio
import hmac
import logging
from typing import Any

from rasa import version as rasa_version
from rasa.core.channels.channel import InputChannel
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request

from mostrador_nlu.tracker_store import private_store

log = logging.getLogger(__name__)
FORGET_ACTION = "action_forget_conversation"


class PrivacyChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "privacy"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "PrivacyChannel":
        token = str((credentials or {}).get("token") or "")
        if not token or token.startswith("${"):
            raise RasaException("the privacy channel needs `token` (the Rasa API token, BOT_API_TOKEN)")
        return cls(token)

    def __init__(self, token: str) -> None:
        self.token = token

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization") or ""
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def blueprint(self, on_new_message: Any) -> Blueprint:
        bp = Blueprint("mostrador_privacy", __name__)

        def refuse(request: Request) -> response.HTTPResponse | None:
            if not self._authorised(request):
                return response.json({"detail": "a valid bearer token is required", "code": "unauthorized"}, 401)
            if private_store(request.app.ctx.agent.tracker_store) is None:
                return response.json(
                    {"detail": "the tracker store is not Mostrador's SQL store", "code": "unsupported_store"}, 501
                )
            return None

        @bp.get("/conversations/<conversation_id:path>")
        async def read(request: Request, conversation_id: str) -> response.HTTPResponse:
            if refused := refuse(request):
                return refused
            store = private_store(request.app.ctx.agent.tracker_store)
            return response.json({"conversation_id": conversation_id, "events": store.stored_events(conversation_id)})

        @bp.delete("/conversations/<conversation_id:path>")
        async def erase(request: Request, conversation_id: str) -> response.HTTPResponse:
            if refused := refuse(request):
                return refused
            agent = request.app.ctx.agent
            forgotten = await _forget_pending_tickets(agent, conversation_id)
            if forgotten is None:
                return response.json(
                    {"detail": "the action server did not answer; nothing was erased", "code": "actions_unavailable"},
                    503,
                )
            async with agent.lock_store.lock(conversation_id):
                # In a thread: emptying the write-ahead log may wait for other conversations' turns to finish.
                deleted = await asyncio.to_thread(private_store(agent.tracker_store).erase, conversation_id)
            log.info("conversation erased on request: %d events, %d pending tickets", deleted, forgotten)
            return response.json({"events_deleted": deleted, "pending_tickets_deleted": forgotten})

        return bp


async def _forget_pending_tickets(agent: Any, conversation_id: str) -> int | None:
    """Ask the action server to drop the conversation's tickets waiting in its outbox; None if it cannot."""
    endpoint = agent.action_endpoint
    if endpoint is None:
        return 0
    body = {
        "next_action": FORGET_ACTION,
        "sender_id": conversation_id,
        "tracker": {"sender_id": conversation_id, "slots": {}, "latest_message": {}, "events": []},
        "domain": {},
        "version": rasa_version.__version__,
    }
    try:
        answer = await endpoint.request(json=body, method="post", timeout=10)
    except Exception as exc:  # ClientResponseError, connection errors, timeouts: all mean "not done"
        log.warning("the action server could not forget a conversation: %s", type(exc).__name__)
        return None
    for message in (answer or {}).get("responses") or []:
        custom = message.get("custom") or {}
        if "pending_tickets_deleted" in custom:
            return int(custom["pending_tickets_deleted"])
    return None

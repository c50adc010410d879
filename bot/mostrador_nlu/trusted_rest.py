"""Rasa's REST channel, for trusted callers only: every message needs `Authorization: Bearer <the Rasa API token>`.

The REST channel takes the conversation id from the caller (`"sender"`). Open, as Rasa ships it, anyone who can
reach the Rasa server (its port is public: the website widget's socket.io is on it) could speak as any customer.
A WhatsApp customer's conversation id is their phone number: a stranger could ask for the status of their ticket,
or write into it while a person handles it. Customers reach the bot through the widget (an unguessable session
key) and WhatsApp (a signed notification); this channel is for tests, benchmarks and integrations that hold the
token, which already grants the whole Rasa HTTP API. Its address is Rasa's own, `/webhooks/rest/webhook`.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from mostrador_nlu.privacy_channel import bearer_matches, token_from


class TrustedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "TrustedRestInput":
        return cls(token_from(credentials, "REST"))

    def __init__(self, token: str) -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def require_token(request: Request) -> response.HTTPResponse | None:
            if request.method != "GET" and not bearer_matches(request, self.token):
                return response.json({"detail": "a valid bearer token is required", "code": "unauthorized"}, 401)
            return None

        return bp

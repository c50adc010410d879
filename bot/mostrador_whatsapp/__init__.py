"""The WhatsApp Cloud API channel of the Rasa server (`GET/POST /webhooks/whatsapp/webhook`).

- `webhook.py`: signature check and Meta's notification format (pure).
- `messages.py`: the bot's messages as Graph API requests, within WhatsApp's limits (pure).
- `graph.py`: the Graph API client: sends, retries, errors named by Meta's codes.
- `inbox.py`: the durable inbox (verified notifications kept before they are acknowledged), the de-duplication of
  Meta's retries, and the record of what was sent and its delivery status.
- `channel.py`: the Rasa input and output channels.
"""

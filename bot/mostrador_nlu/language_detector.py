"""Detect Spanish or English in every message and emit it as a `language` entity.

The entity fills the `language` slot, so responses pick their language variation. When a message gives
no evidence ("ok", an email, a ticket number) no entity is emitted and the conversation keeps its language.
A channel may pass a locale in the message metadata ({"locale": "en_US"}); it is used when the words say nothing.
"""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from kb.text import detect_language


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text)
            if language is None:
                locale = (message.get("metadata") or {}).get("locale") or ""
                language = locale[:2].lower() if locale[:2].lower() in ("es", "en") else None
            if language:
                entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != "language"]
                entities.append(
                    {
                        "entity": "language",
                        "value": language,
                        "start": 0,
                        "end": len(text),
                        "confidence": 1.0,
                        "extractor": "LanguageDetector",
                    }
                )
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data):
        return training_data

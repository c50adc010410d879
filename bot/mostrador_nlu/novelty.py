"""Rasa's FallbackClassifier, plus a fallback for messages unlike anything the bot was trained on.

A logistic regression spreads its probability over the intents it knows, so a message about something none of them
covers ("what is the capital of peru" to a store's bot) can still get one intent with a high confidence: confidence
alone misses most such messages. Their sentence vectors (mostrador_nlu.sentence_embeddings) are far from every
training example, though. This classifier keeps the vectors of the training examples and also predicts
`nlu_fallback` when the message's cosine similarity with the closest one is below `novelty_threshold`. The bot then
tries the knowledge base, which is where a question on a topic the NLU has never seen belongs (docs/nlu.md).

On CLINC150, with the bot's pipeline: out-of-scope recall 63.5% -> 71.6% at threshold 0.4 and novelty 0.5, in-scope
accuracy 94.9% -> 94.6%; BANKING77 unchanged, HWU64 90.1% -> 87.6% (benchmarks/nlu_bench.py, docs/benchmarks.md).
"""

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from mostrador_nlu.sentence_embeddings import sentence_vectors

log = logging.getLogger(__name__)
FILE = "examples.npy"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class NoveltyFallbackClassifier(FallbackClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        # Rasa checks this against the training graph too, where the intent classifier's output (a trained model)
        # does not feed this component; at parse time it runs after the pipeline's classifier, as the config says.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), "novelty_threshold": 0.5}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        examples: np.ndarray | None = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self.examples = examples  # one unit-length row per training example

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NoveltyFallbackClassifier":
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.intent_examples if m.get(TEXT)]
        self.examples = sentence_vectors(texts).astype(np.float32) if texts else None
        if self.examples is not None:
            with self._model_storage.write_to(self._resource) as directory:
                np.save(directory / FILE, self.examples.astype(np.float16))  # half the size, the same answers
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "NoveltyFallbackClassifier":
        examples = None
        try:
            with model_storage.read_from(resource) as directory:
                examples = np.load(directory / FILE).astype(np.float32)
        except (ValueError, FileNotFoundError):
            log.debug("no training examples stored: falling back on confidence alone")
        return cls({**cls.get_default_config(), **config}, model_storage, resource, examples)

    def closest_example(self, message: Message) -> float:
        """The cosine similarity of the message with the closest training example (1.0 when there are none)."""
        if self.examples is None or not message.get(TEXT):
            return 1.0
        return float((self.examples @ sentence_vectors([message.get(TEXT)])[0]).max())

    def _should_fallback(self, message: Message) -> bool:
        if super()._should_fallback(message):
            return True
        similarity = self.closest_example(message)
        if similarity < self.component_config["novelty_threshold"]:
            # Not the message itself: customers' words stay out of the logs (docs/privacy.md).
            log.debug(
                "a message unlike every training example (closest %.2f): nlu_fallback instead of %s",
                similarity,
                (message.get(INTENT) or {}).get("name"),
            )
            return True
        return False

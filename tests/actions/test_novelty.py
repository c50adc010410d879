"""NoveltyFallbackClassifier: a confident intent for a message unlike every training example becomes nlu_fallback.

Real sentence vectors (the encoder inside the pinned package), real Rasa model storage; no trained bot needed.
"""

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from mostrador_nlu.novelty import NoveltyFallbackClassifier

EXAMPLES = {
    "request_human": ["quiero hablar con una persona", "can I talk to a human", "pásame con un ejecutivo"],
    "ticket_status": ["cómo va mi caso", "what is the status of my ticket", "revisen mi reclamo por favor"],
    "faq": ["cuánto demora el despacho", "how do I return a product", "cuál es el horario de las tiendas"],
}
CONFIG = {"threshold": 0.4, "ambiguity_threshold": 0.02, "novelty_threshold": 0.5}


def parsed(text: str, intent: str, confidence: float) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "other", "confidence": 1 - confidence}]
    return Message({"text": text, "intent": ranking[0], "intent_ranking": ranking})


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return LocalModelStorage(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def trained(storage) -> tuple[NoveltyFallbackClassifier, Resource]:
    resource = Resource("novelty")
    classifier = NoveltyFallbackClassifier(
        {**NoveltyFallbackClassifier.get_default_config(), **CONFIG}, storage, resource
    )
    messages = [Message({"text": t, "intent": intent}) for intent, texts in EXAMPLES.items() for t in texts]
    classifier.train(TrainingData(training_examples=messages))
    return classifier, resource


def intent_after(classifier: NoveltyFallbackClassifier, message: Message) -> str:
    return classifier.process([message])[0].get("intent")["name"]


def test_a_message_like_the_training_examples_keeps_its_intent(trained):
    classifier, _ = trained
    assert intent_after(classifier, parsed("me gustaría hablar con una persona", "request_human", 0.95)) == (
        "request_human"
    )
    assert intent_after(classifier, parsed("what's the status of my ticket?", "ticket_status", 0.9)) == "ticket_status"


def test_a_confident_intent_for_a_message_unlike_any_example_becomes_the_fallback(trained):
    classifier, _ = trained
    message = classifier.process([parsed("what is the capital of peru", "faq", 0.9)])[0]
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[1]["name"] == "faq"  # what NLU thought is kept below the fallback


def test_an_unsure_intent_still_falls_back_as_in_rasa(trained):
    classifier, _ = trained
    assert intent_after(classifier, parsed("quiero hablar con una persona", "request_human", 0.3)) == "nlu_fallback"


def test_the_examples_are_stored_with_the_model_and_give_the_same_answers(trained, storage):
    classifier, resource = trained
    loaded = NoveltyFallbackClassifier.load(CONFIG, storage, resource, execution_context=None)
    for text in ("cuánto se demora el despacho a regiones", "who won the football match"):
        assert loaded.closest_example(Message({"text": text})) == pytest.approx(
            classifier.closest_example(Message({"text": text})), abs=1e-3
        )
    assert loaded.closest_example(Message({"text": "cuánto se demora el despacho a regiones"})) > 0.5
    assert loaded.closest_example(Message({"text": "who won the football match"})) < 0.5

"""The bot's LogisticRegressionClassifier: Rasa's model, with its training matrix built at once and saved as arrays.

Checked against Rasa 3.6's own component: the same matrix from the same features, the same probabilities after the
model is saved and loaded again.
"""

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier as RasaClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix

from mostrador_nlu.logistic_regression import LogisticRegressionClassifier, sentence_matrix

RANDOM = np.random.default_rng(7)


def featurized(text: str, intent: str | None = None) -> Message:
    """A message with what the bot's featurizers add: sparse sequence and sentence counts, a dense sentence vector."""
    message = Message({"text": text, **({"intent": intent} if intent else {})})
    for origin, width in (("words", 30), ("chars", 50)):
        sentence = coo_matrix(RANDOM.integers(0, 3, size=(1, width)) * (RANDOM.random((1, width)) < 0.2))
        sequence = coo_matrix(RANDOM.integers(0, 2, size=(3, width)))
        message.add_features(Features(sequence, "sequence", "text", origin))
        message.add_features(Features(sentence, "sentence", "text", origin))
    message.add_features(Features(RANDOM.normal(size=(1, 16)), "sentence", "text", "vectors"))
    return message


def test_the_matrix_is_rasas_own():
    messages = [featurized(f"message {i}") for i in range(25)]
    ours = sentence_matrix(messages)
    rasas = RasaClassifier._create_X(None, messages)
    assert ours.shape == rasas.shape == (25, 30 + 50 + 16)
    assert np.allclose(ours.toarray(), rasas.toarray())


def test_a_saved_model_answers_as_the_trained_one(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("intent")
    config = {**LogisticRegressionClassifier.get_default_config(), "max_iter": 200}
    trained = LogisticRegressionClassifier(config, "intent", storage, resource)
    examples = [featurized(f"example {i}", ["greet", "faq", "cancel"][i % 3]) for i in range(60)]
    trained.train(TrainingData(training_examples=examples))
    loaded = LogisticRegressionClassifier.load(config, storage, resource, execution_context=_context())
    for message in (featurized("question a"), featurized("question b")):
        a = trained.process([Message(message.data.copy(), features=message.features)])[0].get("intent_ranking")
        b = loaded.process([Message(message.data.copy(), features=message.features)])[0].get("intent_ranking")
        assert [r["name"] for r in a] == [r["name"] for r in b]
        assert [r["confidence"] for r in a] == pytest.approx([r["confidence"] for r in b])
    assert (tmp_path / "intent" / "logistic_regression.npz").exists()


def _context():
    from rasa.engine.graph import ExecutionContext, GraphSchema

    return ExecutionContext(GraphSchema({}), node_name="intent")

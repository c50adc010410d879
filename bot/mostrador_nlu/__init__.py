"""Custom components of the Mostrador bot. Rasa imports this package when it loads the model, in every Rasa
server process, before it builds the model's graph: that is where the response-check speedup (speedups.py) and
the check that customers cannot type the backend's pushed intents (internal_intents.py) are installed."""

from mostrador_nlu import internal_intents, speedups

speedups.apply()
internal_intents.apply()

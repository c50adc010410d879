"""Custom components of the Mostrador bot. Rasa imports this package when it loads the model, in every Rasa
server process, which is where the response-check speedup (see speedups.py) is installed."""

from mostrador_nlu import speedups

speedups.apply()

"""Custom NLU components of the Mostrador bot."""

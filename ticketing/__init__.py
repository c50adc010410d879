"""Mostrador's ticketing backend: classify, prioritise, route and hold tickets to their SLA."""

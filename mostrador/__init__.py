"""Pure Python shared by the backend and the action server (both environments import it): formats both sides read."""

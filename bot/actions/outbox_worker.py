"""Start the ticket outbox with the action server (which imports every module of this package at start-up).

Before, the outbox began retrying only when an action first used it: tickets left in it by a crash waited until
someone else opened a ticket. Found by the fault test (tests/e2e/test_delivery.py): the action server killed with
a ticket in its outbox never created it after a restart.
"""

from actions import runtime

runtime.outbox()

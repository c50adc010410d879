"""Which agent gets a ticket: eligibility, VIP first, exact tier first, least loaded, longest waiting."""

from datetime import datetime, timedelta, timezone

from ticketing.routing.choice import AgentState, TicketNeeds, rank, why_not

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
NEEDS = TicketNeeds(team="billing", category="billing", language="es", tier=1, vip=False)


def agent(id, **kw):
    base = dict(
        name=f"agent{id}",
        teams=("billing",),
        skills=(),
        languages=("es", "en"),
        tier=1,
        capacity=5,
        open_assigned=0,
        status="online",
        on_shift=True,
        vip_enabled=False,
        last_assigned_at=None,
    )
    base.update(kw)
    return AgentState(id=id, **base)


def ids(agents):
    return [a.id for a in agents]


def test_the_least_loaded_eligible_agent_wins():
    assert ids(rank([agent(1, open_assigned=3), agent(2, open_assigned=1)], NEEDS))[0] == 2


def test_a_tie_goes_to_whoever_waited_longest_since_their_last_assignment():
    agents = [agent(1, last_assigned_at=T0), agent(2, last_assigned_at=T0 - timedelta(hours=1))]
    assert ids(rank(agents, NEEDS)) == [2, 1]


def test_never_assigned_counts_as_the_longest_wait():
    assert ids(rank([agent(1, last_assigned_at=T0), agent(2)], NEEDS)) == [2, 1]


def test_agents_who_cannot_take_it_are_left_out_with_a_reason():
    cases = {
        "not in the team": agent(1, teams=("sales",)),
        "status away": agent(2, status="away"),
        "off shift": agent(3, on_shift=False),
        "does not speak es": agent(4, languages=("en",)),
        "no billing skill": agent(5, skills=("sales",)),
        "at capacity (5/5)": agent(6, open_assigned=5),
        "at capacity (0/0)": agent(7, capacity=0),
    }
    for reason, candidate in cases.items():
        assert why_not(candidate, NEEDS) == reason
    assert rank(list(cases.values()), NEEDS) == []


def test_a_tier_two_ticket_needs_a_tier_two_agent():
    needs = TicketNeeds("billing", "billing", "es", tier=2, vip=False)
    assert ids(rank([agent(1, tier=1), agent(2, tier=2, open_assigned=4)], needs)) == [2]


def test_tier_one_tickets_go_to_tier_one_agents_before_tier_two():
    assert ids(rank([agent(1, tier=2), agent(2, tier=1, open_assigned=3)], NEEDS)) == [2, 1]


def test_vip_tickets_go_to_vip_enabled_agents_first_even_if_busier():
    needs = TicketNeeds("billing", "billing", "es", tier=1, vip=True)
    assert ids(rank([agent(1), agent(2, vip_enabled=True, open_assigned=4)], needs)) == [2, 1]


def test_vip_tickets_fall_back_to_other_agents_when_no_vip_agent_is_free():
    needs = TicketNeeds("billing", "billing", "es", tier=1, vip=True)
    assert ids(rank([agent(1), agent(2, vip_enabled=True, open_assigned=5)], needs)) == [1]

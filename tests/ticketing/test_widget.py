"""What the backend serves the chat widget: opening hours from the calendar, its files, and the demo store page."""

from datetime import datetime
from zoneinfo import ZoneInfo

from ticketing.business.config import load_business
from ticketing.settings import REPO_ROOT
from ticketing.widget.service import customer_service_calendar, hours_at

SANTIAGO = ZoneInfo("America/Santiago")
CONFIG = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml")
CAL = CONFIG.calendar_objects["santiago"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SANTIAGO)


def test_on_a_weekday_morning_people_are_in():
    hours = hours_at(CAL, local(2026, 11, 25, 10, 0))
    assert hours.open and hours.opens_at is None


def test_on_saturday_afternoon_people_are_back_monday_at_nine():
    hours = hours_at(CAL, local(2026, 11, 28, 15, 0))
    assert not hours.open and hours.opens_at == local(2026, 11, 30, 9, 0)


def test_on_the_eve_of_a_monday_holiday_people_are_back_tuesday():
    # Monday 2026-10-12 is a Chilean public holiday.
    assert hours_at(CAL, local(2026, 10, 10, 20, 0)).opens_at == local(2026, 10, 13, 9, 0)


def test_the_widget_announces_the_calendar_most_teams_work_on():
    calendars = CONFIG.calendar_objects
    assert customer_service_calendar(calendars, ["santiago", "always", "santiago"]) is calendars["santiago"]


def test_the_widget_settings_say_where_the_socket_is_and_whether_people_are_in(client, clock):
    clock.set(local(2026, 11, 28, 15, 0))
    body = client.get("/widget/v1/config").json()
    assert body["socket_url"].startswith("http")
    assert body["hours"] == {"open": False, "opens_at": "2026-11-30T12:00:00+00:00", "timezone": "America/Santiago"}
    assert body["name"] == "Cóndor Store"


def test_too_many_settings_requests_from_one_address_are_refused_with_a_reason(client):
    responses = [client.get("/widget/v1/config") for _ in range(121)]
    assert [r.status_code for r in responses] == [200] * 120 + [429]
    assert responses[-1].json()["code"] == "too_many_requests" and responses[-1].headers["retry-after"]


def test_the_demo_store_embeds_the_widget_with_one_script_tag_under_a_strict_policy(client):
    for language in ("es", "en"):
        page = client.get(f"/demo/{language}")
        assert page.status_code == 200
        assert f'<html lang="{language}">' in page.text
        assert page.text.count("<script") == 1 and 'src="/widget/v1/mostrador.js"' in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "connect-src 'self' http://localhost:5005 ws://localhost:5005;" in policy  # the socket to Rasa
    assert client.get("/demo/fr").status_code == 422


def test_the_widget_files_are_served_and_nothing_else_is(client):
    script = client.get("/widget/v1/mostrador.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert client.get("/widget/v1/mostrador.css").headers["content-type"].startswith("text/css")
    for name in ("..%2F..%2Fsettings.py", "router.py", "nope.js"):
        missing = client.get(f"/widget/v1/{name}")
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_widget_never_builds_html_from_strings():
    source = (REPO_ROOT / "ticketing" / "widget" / "static" / "mostrador.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink

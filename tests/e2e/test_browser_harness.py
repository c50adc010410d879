"""The browser harness itself: Chromium starts, and axe-core finds what it should even under a strict CSP."""

from tests.e2e.browser import axe_violations

STRICT_CSP = "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; script-src 'none'\">"


def test_axe_reports_a_button_without_a_name_even_under_a_strict_csp(page):
    page.set_content(
        f"<html lang='en'><head>{STRICT_CSP}<title>t</title></head><body><main><button></button></main></body></html>"
    )
    violations = axe_violations(page)
    assert any(v.startswith("button-name") for v in violations), violations


def test_axe_finds_nothing_serious_on_a_plain_accessible_page(page):
    page.set_content(
        f"<html lang='en'><head>{STRICT_CSP}<title>Shop</title></head>"
        "<body><main><h1>Shop</h1><button>Open chat</button></main></body></html>"
    )
    assert axe_violations(page) == []

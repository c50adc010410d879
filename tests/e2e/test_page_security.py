"""Every HTML page works under its Content-Security-Policy in a real Chromium: no violation reported, styles applied."""

import pytest

from tests.e2e.browser import axe_violations

PAGES = [
    "/help/es",
    "/help/en",
    "/help/es?q=cuánto demora el envío",
    "/help/en/delivery-times",
    "/console",
    "/demo/es",
    "/docs",
]


@pytest.mark.parametrize("path", PAGES)
def test_the_page_loads_without_a_single_csp_violation(page, stack, path):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    response = page.goto(f"http://127.0.0.1:{stack.ports.ticketing}" + path)
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_the_api_docs_render_from_the_backends_own_files(page, stack):
    page.goto(f"http://127.0.0.1:{stack.ports.ticketing}/docs")
    page.get_by_text("/api/v1/tickets/{ticket_id}").first.wait_for()


def test_the_help_center_is_styled_from_its_own_stylesheet(page, stack):
    page.goto(f"http://127.0.0.1:{stack.ports.ticketing}" + "/help/es")
    header_colour = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
    assert header_colour == "rgb(18, 53, 91)"


@pytest.mark.parametrize(
    "path",
    [
        "/help/es",
        "/help/en?q=how long does delivery take",
        "/help/es/delivery-times",
        "/help/es/plazos-de-entrega-viejo",
    ],
)
def test_help_center_pages_have_no_serious_accessibility_violations_and_tables_render(page, stack, path):
    page.goto(f"http://127.0.0.1:{stack.ports.ticketing}" + path)
    assert axe_violations(page) == []
    if path.endswith("/delivery-times"):  # an editor's Markdown table is a table, with its header row
        assert page.locator("main table th").first.inner_text() == "Zona"

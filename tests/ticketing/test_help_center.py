"""The help center: every published article at the URL the bot links to, searchable, safe to render."""

import re

import pytest

from tests.ticketing.conftest import AUTH

# The help center's pages read the KB, not the database: one database is enough for them (the gaps API, below,
# runs its queries on both).
PAGES_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@PAGES_ONLY
def test_every_article_the_bot_links_to_has_a_page(client, knowledge_base):
    for article in knowledge_base.articles:
        page = client.get(f"/help/{article.language}/{article.id}")
        assert page.status_code == 200, article.id
        assert article.title.replace("'", "&#39;").replace('"', "&#34;") in page.text or article.title in page.text


@PAGES_ONLY
def test_the_help_center_lists_articles_by_category_in_each_language(client):
    spanish = client.get("/help/es").text
    english = client.get("/help/en").text
    assert "Pedidos y envíos" in spanish and "Plazos de entrega" in spanish
    assert "Orders and shipping" in english and 'lang="en"' in english


@PAGES_ONLY
def test_search_finds_the_article_that_answers_the_question_first(client):
    page = client.get("/help/es", params={"q": "me cobraron dos veces"}).text
    links = re.findall(r'href="/help/es/([a-z0-9-]+)"', page.split("<main", 1)[1])
    assert links[0] == "duplicate-charge"


@PAGES_ONLY
def test_a_search_the_kb_cannot_answer_says_so_and_links_no_article(client):
    page = client.get("/help/es", params={"q": "¿Venden bicicletas?"}).text
    assert "No encontramos un artículo para eso" in page
    assert "Resultados para “¿Venden bicicletas?”" in page and "Quizás buscabas" not in page  # not "did you mean" it
    assert not re.findall(r'href="/help/es/[a-z0-9-]+"', page.split("<main", 1)[1])


@PAGES_ONLY
def test_an_article_says_when_it_was_updated_in_the_readers_language(client):
    spanish = client.get("/help/es/duplicate-charge").text
    english = client.get("/help/en/duplicate-charge").text
    assert re.search(r"Actualizado \d{1,2} de [a-z]+ de 20\d\d", spanish)
    assert re.search(r"Updated [A-Z][a-z]+ \d{1,2}, 20\d\d", english)


@PAGES_ONLY
def test_a_search_with_html_is_shown_escaped(client):
    page = client.get("/help/en", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@PAGES_ONLY
def test_html_inside_an_article_is_not_rendered(tmp_path, settings, business):
    from fastapi.testclient import TestClient

    from kb.search import KnowledgeBase
    from ticketing.app import create_app

    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "x.md").write_text(
        "---\nid: x\ntitle: X <b>bold</b>\nlanguage: en\ncategory: other\nquestions: [x]\n---\n"
        "Hello <img src=x onerror=alert(1)> and [a link](javascript:alert(1)).\n"
    )
    with TestClient(create_app(settings, business, KnowledgeBase(tmp_path))) as client:
        page = client.get("/help/en/x").text
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert 'href="javascript:' not in page
    assert "X &lt;b&gt;bold&lt;/b&gt;" in page


@PAGES_ONLY
def test_an_unknown_article_is_a_404_page_that_offers_the_closest_articles(client):
    """An old chat message links to an article an editor has since removed or renamed: the customer gets a page of
    the help center, not a JSON error, with the articles its address points to."""
    response = client.get("/help/es/plazos-de-entrega-a-regiones")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "ya no está en el centro de ayuda" in response.text
    assert 'href="/help/es/delivery-times"' in response.text
    hostile = client.get("/help/en/<img src=x onerror=alert(1)>")
    assert hostile.status_code == 404 and "text/html" in hostile.headers["content-type"]
    assert "<img src=x" not in hostile.text
    assert client.get("/help/fr").status_code == 422


def test_unanswered_questions_are_grouped_and_counted_newest_first(client, clock):
    for question in ("¿Venden bicicletas?", "venden bicicletas", "¿Venden BICICLETAS?", "hacen envíos a Perú"):
        clock.advance(seconds=1)
        assert (
            client.post("/api/v1/kb/gaps", json={"question": question, "language": "es"}, headers=AUTH).status_code
            == 201
        )
    groups = client.get("/api/v1/kb/gaps", headers=AUTH).json()["items"]
    assert [(g["count"], g["question"]) for g in groups] == [(1, "hacen envíos a Perú"), (3, "¿Venden BICICLETAS?")]


def test_a_gap_report_needs_the_service_token_and_a_question(client):
    assert client.post("/api/v1/kb/gaps", json={"question": "x", "language": "es"}).status_code == 401
    assert client.post("/api/v1/kb/gaps", json={"question": "", "language": "es"}, headers=AUTH).status_code == 422


@PAGES_ONLY
def test_a_search_the_kb_is_unsure_of_lists_what_it_may_mean(client):
    page = client.get("/help/es", params={"q": "mi cuenta"}).text
    assert "Resultados para “mi cuenta”" in page and "Quizás buscabas:" in page
    links = re.findall(r'href="/help/es/([a-z0-9-]+)"', page.split("<main", 1)[1])
    assert {"delete-account", "update-account-data"} <= set(links)

"""The demo KB itself: every required article, in both languages, loadable and answerable."""

from pathlib import Path

import pytest

from kb.articles import ArticleError, load_articles, parse_article
from ticketing.settings import REPO_ROOT

REQUIRED_IDS = """business-hours contact-channels payment-methods installments invoice-request duplicate-charge
order-tracking shipping-costs delivery-times change-shipping-address cancel-order store-pickup return-policy
refund-times exchange-product warranty defective-product reset-password update-account-data delete-account
privacy-policy two-factor discount-coupons gift-cards stock-availability device-setup wifi-troubleshooting
software-updates physical-stores loyalty-program complaint-process""".split()

ARTICLES, ERRORS = load_articles(REPO_ROOT / "kb_articles")


def test_every_article_loads():
    assert ERRORS == []


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_required_id_exists_in_both_languages(language):
    have = {a.id for a in ARTICLES if a.language == language}
    assert sorted(set(REQUIRED_IDS) - have) == []


def test_every_article_has_at_least_six_sample_questions_and_a_standalone_first_paragraph():
    for article in ARTICLES:
        assert len(article.questions) >= 6, article.path
        assert len(article.summary) >= 60, article.path
        assert not article.summary.startswith("#"), article.path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "es" / "broken.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter at all", "missing front matter"),
        ("---\nid: x\n", "not closed"),
        ("---\nid: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\nid: a\ntitle: A\nlanguage: es\ncategory: billing\n---\nbody\n", "missing questions"),
        ("---\nid: a\ntitle: A\nlanguage: fr\ncategory: billing\nquestions: [q]\n---\nbody\n", "language must be"),
        ("---\nid: a\ntitle: A\nlanguage: es\ncategory: food\nquestions: [q]\n---\nbody\n", "category must be"),
        ("---\nid: A B\ntitle: A\nlanguage: es\ncategory: billing\nquestions: [q]\n---\nbody\n", "id must be"),
        ("---\nid: a\ntitle: A\nlanguage: es\ncategory: billing\nquestions: [q]\n---\n\n", "body is empty"),
    ],
)
def test_a_broken_article_is_reported_with_its_file_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(ArticleError) as caught:
        parse_article(path, categories=("billing", "other"))
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_a_broken_article_does_not_take_down_the_others(tmp_path):
    write(tmp_path, "---\nid: [unclosed\n")
    good = tmp_path / "es" / "good.md"
    good.write_text("---\nid: good\ntitle: Bien\nlanguage: es\ncategory: other\nquestions: [hola]\n---\nRespuesta.\n")
    articles, errors = load_articles(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert len(errors) == 1 and "broken.md" in errors[0]


def test_a_reload_reads_again_only_the_articles_that_changed(tmp_path):
    for slug in ("alpha", "beta"):
        path = tmp_path / "es" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\nid: {slug}\ntitle: {slug}\nlanguage: es\ncategory: general\nquestions: [q]\n---\nCuerpo de {slug}.\n"
        )
    cache: dict = {}
    first, _ = load_articles(tmp_path, cache=cache)
    beta = tmp_path / "es" / "beta.md"
    beta.write_text(beta.read_text().replace("title: beta", "title: beta editado") + "\n")
    (tmp_path / "es" / "gamma.md").write_text("no front matter\n")
    second, errors = load_articles(tmp_path, cache=cache)
    assert second[0] is first[0]  # alpha did not change: the same parsed article
    assert second[1].title == "beta editado"
    assert len(errors) == 1 and "gamma.md" in errors[0]
    (tmp_path / "es" / "gamma.md").unlink()
    third, errors = load_articles(tmp_path, cache=cache)
    assert [a.id for a in third] == ["alpha", "beta"] and errors == []
    assert sorted(p.name for p in cache) == ["alpha.md", "beta.md"]

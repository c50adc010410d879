"""Mostrador's knowledge base: Markdown articles, their search, and the editors' `kb` command."""

"""The knowledge as data: canonical tables, header vocabulary, checks and code catalogs,
loaded and validated by knowledge.py."""

"""Pipeline orchestration: one document (document.py), many (runner.py, distributed.py), the CLI."""

"""Stage 1: a PDF → pages of positioned text lines and table grids."""

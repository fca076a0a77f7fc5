"""Stage 4: the four contract tables written as Parquet and CSV."""

"""Stage 2: raw table grids → canonical, typed, classified records."""

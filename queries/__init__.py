"""SQL views (one per file) and the small Python that creates and runs them."""

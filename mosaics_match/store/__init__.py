"""Storage: engine and sessions, typed models, keyword-only repository functions, the sealed audit chain, key and
password encryption at rest; Alembic migrations own the schema."""

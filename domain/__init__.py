"""Tidings' shared domain types: the single source of truth that workflows, activities and
connectors all import. Only pydantic here: no I/O, no Temporal, no foreign wire formats."""

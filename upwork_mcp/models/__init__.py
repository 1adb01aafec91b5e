"""API-shaped pydantic models, one module per resource. Tolerant: unknown fields are ignored."""

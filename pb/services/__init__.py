"""Business rules and state changes. Services flush, never commit."""

"""WTForms classes: shape checks only; business rules live in services."""

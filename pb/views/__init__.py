"""Blueprints: thin HTTP glue (load, check access, validate form, call a service, commit once)."""

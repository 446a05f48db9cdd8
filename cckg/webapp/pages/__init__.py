"""The pages and APIs, one blueprint per feature (``create_app`` registers them)."""

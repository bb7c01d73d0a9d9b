"""DynamoDB adapters (PynamoDB models stay in here)."""

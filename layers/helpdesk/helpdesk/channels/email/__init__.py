"""channels/email."""

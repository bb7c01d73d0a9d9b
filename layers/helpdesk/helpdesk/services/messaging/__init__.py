"""services/messaging: the one conversation path every messaging channel shares."""

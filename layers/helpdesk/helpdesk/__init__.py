"""The help desk: domain, services, channels and adapters, shipped to Lambda as one layer."""

__version__ = "0.1.0"

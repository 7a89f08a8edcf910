"""The documents service of the sales order suite."""

__version__ = "0.1.0"

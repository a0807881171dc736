"""runic: a typed object-graph mapper for Cypher graph databases."""

__version__ = "0.1.0"

"""Indexers: index definitions, the bulk writer that feeds them from Kafka, and search."""

"""ScholarStream: arXiv papers through Kafka into searchable researcher profiles."""

__version__ = "0.1.0"

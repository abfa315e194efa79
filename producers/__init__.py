"""Producers: sources of arXiv records, normalised into `RawPaper` and published to Kafka."""

"""Kafka and Elasticsearch clients built from settings, with the services' errors translated at
this boundary, and the chores every stage repeats on them (read a topic to its end, a group's
committed offsets, committing them, the hand-over of a stage's state between generations)."""

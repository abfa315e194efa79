"""Field topics: papers placed on the arXiv category taxonomy by embedding similarity."""

from stream_processors.topic_model.fields import FieldTopicModel, TopicScore, load_field_model

__all__ = ["FieldTopicModel", "TopicScore", "load_field_model"]

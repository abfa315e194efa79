"""docs/architecture.md names every topic of the registry."""

from schemas.topics import TOPICS
from tests.conftest import REPO


def test_every_registered_topic_is_documented():
    text = (REPO / "docs" / "architecture.md").read_text()
    for spec in TOPICS:
        assert f"`{spec.name}`" in text, spec.name

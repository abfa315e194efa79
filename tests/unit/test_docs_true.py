"""docs/architecture.md names every topic of the registry."""

from schemas.topics import TOPICS
from tests.conftest import REPO


def test_every_registered_topic_is_documented():
    text = (REPO / "docs" / "architecture.md").read_text()
    for spec in TOPICS:
        assert f"`{spec.name}`" in text, spec.name


def _command_paths():
    from scholarstream.cli import app

    for command in app.registered_commands:
        yield command.name or command.callback.__name__
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            yield f"{group.name} {command.name or command.callback.__name__}"


def test_every_cli_command_is_in_the_readme_reference():
    text = (REPO / "README.md").read_text()
    missing = [path for path in _command_paths() if f"scholarstream {path}" not in text]
    assert missing == []


def test_every_page_of_the_web_app_is_documented():
    from scholarstream.web import PAGES

    text = (REPO / "docs" / "architecture.md").read_text()
    for page in PAGES:
        assert f"| `{page.path}` | `{page.template}` |" in text, page.path

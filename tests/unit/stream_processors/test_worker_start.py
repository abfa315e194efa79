"""worker start-up: a generation that linked under the schema 1 block state is refused with the
way forward, not linked over as if nobody were known."""

import pytest

from foundation.errors import ConfigError
from stream_processors.worker import refuse_old_linking_state

APP = "t-scholarstream-worker"


def test_a_generation_with_only_schema_1_blocks_is_refused_with_the_relink_command():
    with pytest.raises(ConfigError, match=r"rebuild --from-stage link"):
        refuse_old_linking_state({f"{APP}-blocks-changelog", f"{APP}-profiles-changelog"}, APP)


@pytest.mark.parametrize("existing", [
    set(),  # a new generation
    {f"{APP}-block-state-changelog"},  # schema 2 already
    {f"{APP}-blocks-changelog", f"{APP}-block-state-changelog"},  # relinked in place before: schema 2 is read
    {"other-scholarstream-worker-blocks-changelog"},  # another namespace's
])
def test_other_generations_start(existing):
    refuse_old_linking_state(existing, APP)

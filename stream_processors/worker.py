"""`scholarstream worker`: create the topics, load the encoder, run the faust app until stopped."""

from __future__ import annotations

import faust
from threadpoolctl import threadpool_limits

from clients import kafka_io
from clients.handover import take_over
from encoders.loading import load_encoder
from foundation.settings import Settings
from schemas.topics import PAPERS_RAW, TOPICS
from stream_processors.app import WORKER_GROUP, create_app
from stream_processors.topic_model.fields import load_field_model, model_path_for


def run_worker(settings: Settings) -> None:
    kafka_io.ensure_topics(settings, TOPICS)
    encoder = field_model = None
    if "enrich" in settings.stages:  # a linking-only worker (a rebuild from `link`) needs no model
        # numpy's matrix products here are small (a chunk's topics and keyphrases); with BLAS threads
        # of their own they only fight the encoder's threads for the cores and spin while waiting.
        threadpool_limits(1, user_api="blas")
        encoder = load_encoder(settings)  # fails here, once, with a clear error; never per message
        field_model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
        # After a rebuild from `link`, continue the enrich stage where the replaced generation left it.
        take_over(settings, WORKER_GROUP, PAPERS_RAW.name, changelogs=("-enriched-versions-changelog",))
    app = create_app(settings, encoder, field_model)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()

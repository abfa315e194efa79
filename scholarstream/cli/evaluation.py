"""Quality and models: `topics build`, `encoder distill|quantize`, `eval topics|linking|search`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from encoders.query import query_encoder
from foundation.settings import REPO_ROOT, get_settings
from scholarstream.cli._app import (
    JsonFlag,
    emit,
    encoder_app,
    eval_app,
    out,
    topics_app,
)
from scholarstream.progress import err_console, progress_bar


def _stage_progress():
    """A progress callback factory for library functions that run several long steps."""
    from contextlib import ExitStack

    stack = ExitStack()

    def start(description: str, total: int | None):
        return stack.enter_context(progress_bar(description, total, unit="papers"))

    return stack, start


@topics_app.command("build")
def topics_build(
    per_label: Annotated[int, typer.Option(min=3, help="Training papers per category at most.")] = 30,
    output: Annotated[Path | None, typer.Option(help="Where to write the artefact.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild the field-topic model from the train split of ../shared/data/arxiv-oai-cs-2016."""
    from encoders.loading import load_encoder
    from evaluation.topics import build_topic_model, load_corpus
    from stream_processors.topic_model.fields import model_path_for

    settings = get_settings()
    encoder = load_encoder(settings)
    err_console.print("reading the labelled papers")
    corpus = load_corpus(per_label=per_label)
    stack, start = _stage_progress()
    with stack:
        _, info = build_topic_model(
            settings, encoder, start, corpus=corpus, output=output or model_path_for(encoder.name, settings.data_dir)
        )
    emit(info, as_json)
    if not as_json:
        out.print(f"built {info['version']}: {info['categories']} categories from {info['training_papers']} papers "
                  f"(temperature {info['temperature']}, prior weight {info['prior_weight']}) -> {info['artefact']}")




@encoder_app.command("distill")
def encoder_distill(as_json: JsonFlag = False) -> None:
    """Distil the fast-mode static model (static-minilm-v1) from the packaged MiniLM."""
    import time

    from encoders.loading import static_model_path
    from encoders.static import STATIC_DEFAULT_NAME, distill
    from encoders.transformer import packaged_model_path
    from evaluation.labelled_papers import oai_cs_2016, split_of

    settings = get_settings()
    started = time.monotonic()
    err_console.print("collecting token frequencies from training abstracts")
    sample = [p.text for p, _ in zip((p for p in oai_cs_2016() if split_of(p.arxiv_id) == "train"), range(20_000), strict=False)]
    err_console.print("running the transformer over its vocabulary")
    path = distill(packaged_model_path(), static_model_path(settings, STATIC_DEFAULT_NAME), sample)
    info = {"model": STATIC_DEFAULT_NAME, "path": str(path), "seconds": round(time.monotonic() - started, 1),
            "use_with": f"SCHOLARSTREAM_ENCODER_MODEL={STATIC_DEFAULT_NAME}"}
    emit(info, as_json)
    if not as_json:
        out.print(f"distilled {STATIC_DEFAULT_NAME} in {info['seconds']}s -> {path}; {info['use_with']}")


@encoder_app.command("quantize")
def encoder_quantize(as_json: JsonFlag = False) -> None:
    """Build the int8 model (minilm-int8-v1) from the packaged MiniLM: ONNX export, fusion, int8 weights."""
    from encoders.loading import quantized_model_path
    from encoders.quantized import INT8_DEFAULT_NAME, quantize
    from encoders.transformer import packaged_model_path

    settings = get_settings()
    err_console.print("exporting MiniLM to ONNX, fusing its operators and quantising its weights to int8")
    path = quantized_model_path(settings, INT8_DEFAULT_NAME)
    info = {"model": INT8_DEFAULT_NAME, "path": str(path), **quantize(packaged_model_path(), path),
            "use_with": f"SCHOLARSTREAM_ENCODER_MODEL={INT8_DEFAULT_NAME}"}
    emit(info, as_json)
    if not as_json:
        out.print(f"quantised {INT8_DEFAULT_NAME} in {info['seconds']}s ({info['bytes'] / 1e6:.1f} MB) -> {path}; {info['use_with']}")


@eval_app.command("search")
def eval_search(
    targets: Annotated[int, typer.Option(min=1, max=5000, help="Researchers sampled as known items.")] = 300,
    min_works: Annotated[int, typer.Option(min=1, help="Only researchers with at least this many works.")] = 5,
    prolific: Annotated[bool, typer.Option("--prolific", help="Take the most prolific researchers instead of a hash sample.")] = False,
    seed: Annotated[str, typer.Option(help="Salt of the hash sample: another seed draws other researchers.")] = "",
    mode: Annotated[list[str], typer.Option(help="Search modes to measure: text, semantic, hybrid (repeatable).")] = ["text"],  # noqa: B006 - typer
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = REPO_ROOT / "evaluation" / "results" / "search.json",
    as_json: JsonFlag = False,
) -> None:
    """Known-item researcher search over the indexed data: success@1/@10, MRR, latency, vs a plain name match."""
    from clients import es_io
    from evaluation.search import evaluate_search, print_table

    settings = get_settings()
    embed = query_encoder(settings) if any(m != "text" for m in mode) else None
    with progress_bar("known-item queries", None, unit="queries") as advance:
        def on_query(done: int, total: int) -> None:
            if done == 1:
                advance.set_total(total)
            advance(1)

        results = evaluate_search(es_io.client(settings), settings, targets=targets, min_works=min_works, modes=mode,
                                  embed=embed, on_query=on_query, prolific=prolific, seed=seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    if as_json:
        emit(results, True)
    else:
        print_table(results, write=out.print)
        out.print(f"written to {output}")


@eval_app.command("linking")
def eval_linking(
    linker: Annotated[str | None, typer.Option(
        help="The linker to evaluate, pairwise or weights (default: the worker's, SCHOLARSTREAM_LINKER).")] = None,
    vectors: Annotated[bool, typer.Option(help="Encode the pseudo-namesakes' papers with the configured encoder (cached).")] = True,
    as_json: JsonFlag = False,
) -> None:
    """B-cubed and pairwise P/R/F1 of author linking on the gold sets and arXiv pseudo-namesakes, against two baselines."""
    from functools import partial

    from encoders.loading import load_encoder
    from evaluation.linking import evaluate_linking, print_table
    from evaluation.namesakes import with_embeddings
    from stream_processors.linking.policy import LINKERS

    settings = get_settings()
    linker = linker or settings.linker
    if linker not in LINKERS:
        raise typer.BadParameter(f"one of {', '.join(LINKERS)}", param_hint="--linker")
    encode = partial(with_embeddings, settings=settings, encoder=load_encoder(settings)) if vectors else None
    err_console.print(f"linking with the {linker} linker: the gold sets (inspire-wang, s2and-qian, orcid-doi), "
                      "the arXiv silver pairs and the pseudo-namesakes")
    results = evaluate_linking(linker=linker, vectors=encode, encoder=settings.encoder_model)
    if as_json:
        emit(results, True)
    else:
        print_table(results)


@eval_app.command("topics")
def eval_topics(
    test_size: Annotated[int, typer.Option(min=50, help="Held-out papers per evaluation set.")] = 1000,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = REPO_ROOT / "evaluation" / "results" / "topics.json",
    as_json: JsonFlag = False,
) -> None:
    """Top-1/top-3 accuracy of field topics on held-out real papers, against baselines."""
    from encoders.loading import load_encoder
    from evaluation.topics import evaluate_topics, load_corpus
    from stream_processors.topic_model.fields import load_field_model, model_path_for

    settings = get_settings()
    encoder = load_encoder(settings)
    model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
    err_console.print("reading the labelled papers")
    corpus = load_corpus(test_size=test_size)
    stack, start = _stage_progress()
    with stack:
        results = evaluate_topics(settings, encoder, model, start, corpus=corpus, test_size=test_size)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    if as_json:
        emit(results, True)
        return
    table = Table(title=f"field topics ({model.version}) vs baselines")
    for column in ("set", "method", "top-1", "top-3", "archive top-1", "archive top-3"):
        table.add_column(column)
    for set_name, methods in results["sets"].items():
        for method in ("embedding_centroids", "tfidf_centroids", "majority_class"):
            m = methods[method]
            table.add_row(set_name, method, f"{m['top1_accuracy']:.3f}", f"{m['top3_recall']:.3f}",
                          f"{m['archive_top1_accuracy']:.3f}", f"{m['archive_top3_recall']:.3f}")
    out.print(table)
    out.print(f"written to {output}")

"""``relx data``: build folds of entity pairs, check them, describe a corpus, synthesize one.

Thin: each command parses, checks that paths exist, calls :mod:`relx.data` with keyword
arguments and prints. Library errors (:class:`~relx.errors.RelxError`) become one line and
exit 1 at the root app's boundary.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from relx.cli._app import console, err_console
from relx.data import DEFAULT_SYNTH_DOCS, ProblemLog

__all__ = ["register", "data_app"]

#: Problem lines printed under the per-code summary; the rest are counted only.
_SHOWN_PROBLEMS = 5
_MARKS = {"ok": "[green]✔[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✘[/]"}

_EXAMPLES = {
    "build": "Example: relx data build corpus.txt --out folds --folds 5",
    "check": "Example: relx data check folds",
    "stats": "Example: relx data stats corpus.txt --compare folds",
    "synth": "Example: relx data synth --out corpus.txt --docs 60 --seed 0",
}

data_app = typer.Typer(
    name="data",
    help=(
        "Corpus files -> entity-pair examples: build K document-level folds "
        "(split_k.json), check them, describe a corpus, write a synthetic one."
    ),
    epilog="Example: relx data synth --out corpus.txt && relx data build corpus.txt --out folds",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def print_problems(log: ProblemLog, *, what: str = "input problems") -> None:
    """Print a count per code and the first few problems (to stderr)."""
    if not len(log):
        return
    counts = ", ".join(f"{code} x{n}" for code, n in sorted(log.counts().items()))
    err_console.print(f"[yellow]⚠ {len(log)} {what} reported and skipped[/] ({counts})",
                      highlight=False)
    # Lost pairs (E120) first: one such line matters more than hundreds of skipped spans.
    ordered = sorted(log.problems, key=lambda problem: problem.code != "E120")
    for problem in ordered[:_SHOWN_PROBLEMS]:
        err_console.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
    if len(log) > _SHOWN_PROBLEMS:
        err_console.print(f"  ... and {len(log) - _SHOWN_PROBLEMS} more (use --strict to stop "
                          "at the first)", highlight=False)


def build_cli(
    inputs: list[Path] = typer.Argument(
        ..., exists=True, metavar="INPUT",
        help="Corpus files (PubTator, BioC XML/JSON, LitCoin CSV or folder, iKraph split JSON)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for split_k.json files."),
    folds: int = typer.Option(5, "--folds", "-k", min=1, help="Number of document-level folds "
                              "(1 writes a single split_0.json)."),
    context: str = typer.Option("multi_sentence", "--context", help="multi_sentence (title + "
                                "sentences mentioning A or B) or document (title + abstract)."),
    seed: int = typer.Option(0, "--seed", help="Fold assignment seed."),
    stratify: bool = typer.Option(True, "--stratify/--no-stratify", help="Spread rare relation "
                                  "types across folds."),
    fold_file: Optional[Path] = typer.Option(None, "--fold-file", exists=True, dir_okay=False,
                                             help="Reuse a {PMID: fold} JSON mapping (e.g. an "
                                             "earlier build's pmid_to_fold.json)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first input problem "
                                "instead of reporting and skipping."),
    splitter: str = typer.Option("syntok", "--splitter", help="Sentence splitter: syntok "
                                 "(fast) or pysbd."),
    input_format: Optional[str] = typer.Option(None, "--format", help="Force the input format "
                                               "(pubtator, bioc_xml, bioc_json, litcoin, "
                                               "split_json); detected by default."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty --out folder "
                               "that relx did not write (no relx manifest.json); its "
                               "split_k.json / manifest.json would be overwritten."),
) -> None:
    """Build entity pairs from corpora and write K document-level folds plus a manifest.

    Every pair of one document lands in one split_k.json; manifest.json records the
    sources' SHA-256, the options and the counts; pmid_to_fold.json can be reused with
    --fold-file. Input problems are reported and skipped (or fatal with --strict).
    """
    from relx.data import build_folds

    with Progress(TextColumn("building pairs"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True,
                  disable=as_json) as bar:
        task = bar.add_task("pairs", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = build_folds(inputs, out_dir=out, n_folds=folds, context=context, seed=seed,
                             stratify=stratify, fold_file=fold_file, strict=strict,
                             splitter=splitter, format=input_format, progress=progress,
                             force=force)
    print_problems(result.problems)
    if as_json:
        console.print_json(json.dumps(result.manifest))
        return
    plural = "s" if folds > 1 else ""
    table = Table(title=f"{escape(str(out))} ({context}, {folds} fold{plural})")
    for column in ("split", "documents", "pairs", "positive", "NOT %"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for split in result.manifest["splits"]:
        labels = split["labels"]
        positive = split["pairs"] - labels.get("NOT", 0)
        share = 100 * labels.get("NOT", 0) / split["pairs"] if split["pairs"] else 0.0
        table.add_row(split["file"], str(split["documents"]), str(split["pairs"]),
                      str(positive), f"{share:.1f}")
    console.print(table)
    counts = result.manifest["counts"]
    console.print(f"[green]✔[/] wrote {len(result.files)} split file(s), "
                  f"{counts['documents']} documents, {counts['pairs']} pairs -> "
                  f"{escape(str(out))}", highlight=False)


def check_cli(
    directory: Path = typer.Argument(..., metavar="DIR",
                                     help="A folder written by relx data build."),
    as_json: bool = typer.Option(False, "--json", help="Print the checklist as JSON."),
) -> None:
    """Check a folds folder: files parse, no document in two splits, hashes match.

    Prints ✔/⚠/✘ lines and exits 1 on any ✘. Works on a bare folder of iKraph
    split_k.json files too (without hash checks).
    """
    from relx.data import check_folds

    lines = check_folds(directory)
    failed = sum(line.status == "fail" for line in lines)
    warned = sum(line.status == "warn" for line in lines)
    if as_json:
        console.print_json(json.dumps({"ok": not failed, "lines": [
            {"status": line.status, "message": line.message} for line in lines]}))
    else:
        for line in lines:
            console.print(f"{_MARKS[line.status]} {escape(line.message)}", highlight=False)
        console.print(f"{len(lines) - failed - warned} passed, {warned} warning(s), "
                      f"{failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)


def synth_cli(
    out: Path = typer.Option(..., "--out", "-o", help="Output PubTator file."),
    docs: int = typer.Option(DEFAULT_SYNTH_DOCS, "--docs", min=1, help="Number of documents."),
    seed: int = typer.Option(0, "--seed", help="Generator seed (same seed, same bytes)."),
    crlf: bool = typer.Option(False, "--crlf", help="CRLF line endings, as NCBI's files."),
) -> None:
    """Write a seeded synthetic PubTator corpus with learnable relation cues.

    BioRED-like structure (six entity types, composite IDs, '-' mentions, rare relation
    types, ~86% NOT pairs); one trigger phrase per relation type between the mentions.
    """
    from relx.data import write_synthetic_corpus

    documents = write_synthetic_corpus(out, n_docs=docs, seed=seed, crlf=crlf)
    n_rel = sum(len(d.relations) for d in documents)
    n_men = sum(len(d.mentions) for d in documents)
    console.print(f"[green]✔[/] wrote {len(documents)} documents, {n_men} mentions, "
                  f"{n_rel} relations -> {escape(str(out))}", highlight=False)


_SHORT_TYPES = {
    "GeneOrGeneProduct": "Gene", "DiseaseOrPhenotypicFeature": "Dis", "ChemicalEntity": "Chem",
    "OrganismTaxon": "Org", "SequenceVariant": "Var", "CellLine": "Cell",
}
_SHORT_LABELS = {
    "NOT": "NOT", "Association": "Assoc", "Positive_Correlation": "Pos", "Negative_Correlation":
    "Neg", "Bind": "Bind", "Cotreatment": "Cotr", "Comparison": "Comp",
    "Drug_Interaction": "DDI", "Conversion": "Conv",
}


def _short_pair(type_pair: str) -> str:
    return "+".join(_SHORT_TYPES.get(t, t) for t in type_pair.split("|"))


def _print_stats(name: str, stats: dict, lengths: dict | None) -> None:
    pairs = stats["pairs"]
    overview = Table(title=f"{name}", show_header=False)
    overview.add_column("what")
    overview.add_column("count", justify="right")
    rows = [
        ("documents", stats["documents"]),
        ("mentions", f"{stats['mentions']['total']} ({stats['mentions']['without_concept']} "
                     f"without ID, {stats['mentions']['composite']} composite)"),
        ("concepts (per document, summed)", stats["concepts"]),
        ("relations", f"{stats['relations']['total']} ({stats['relations']['novel']} novel)"),
        ("candidate pairs", pairs["total"]),
        ("NOT share", f"{100 * pairs['not_share']:.1f}%"),
        ("pairs in never-related type pairs", f"{100 * stats['never_related_pair_share']:.1f}%"),
    ]
    for what, count in rows:
        overview.add_row(what, str(count))
    console.print(overview)

    by_type = Table(title="mentions and relations by type")
    by_type.add_column("entity type")
    by_type.add_column("mentions", justify="right")
    by_type.add_column("relation type")
    by_type.add_column("relations", justify="right")
    by_type.add_column("pairs", justify="right")
    ments = list(stats["mentions"]["by_type"].items())
    labels = list(pairs["by_label"].items())
    rels = stats["relations"]["by_type"]
    for i in range(max(len(ments), len(labels))):
        m = ments[i] if i < len(ments) else ("", "")
        lab = labels[i] if i < len(labels) else ("", "")
        share = f" ({100 * lab[1] / pairs['total']:.1f}%)" if lab[0] and pairs["total"] else ""
        by_type.add_row(m[0], str(m[1]), lab[0], str(rels.get(lab[0], "")) if lab[0] else "",
                        f"{lab[1]}{share}" if lab[0] else "")
    console.print(by_type)

    rows_by_pair = stats["type_pairs"].values()
    present = [lab for lab in _SHORT_LABELS if any(lab in row for row in rows_by_pair)]
    matrix = Table(title="entity-type pair x label (pairs; ✘ = never carries a relation)")
    matrix.add_column("types", no_wrap=True)
    for lab in present:
        matrix.add_column(_SHORT_LABELS[lab], justify="right", no_wrap=True)
    matrix.add_column("", no_wrap=True)
    never = set(stats["type_pairs_never_related"])
    for type_pair, row in stats["type_pairs"].items():
        matrix.add_row(_short_pair(type_pair), *(str(row.get(lab, 0) or "") for lab in present),
                       "[red]✘[/]" if type_pair in never else "")
    console.print(matrix)

    if lengths is not None:
        table = Table(title=f"token lengths ({lengths['style']}, prompt={lengths['prompt']}, "
                            f"max_length={lengths['max_length_tokens']})")
        for column in (*lengths["length_percentiles"], "truncated", "lost mention"):
            table.add_column(column, justify="right")
        table.add_row(*(str(v) for v in lengths["length_percentiles"].values()),
                      f"{lengths['n_truncated']} ({100 * lengths['truncated_share']:.1f}%)",
                      f"{lengths['n_lost_mention']} ({100 * lengths['lost_mention_share']:.1f}%)")
        console.print(table)
        hist = Table(title="length histogram (tokens, before truncation)")
        for bucket in lengths["histogram"]:
            hist.add_column(bucket, justify="right")
        hist.add_row(*(str(v) for v in lengths["histogram"].values()))
        console.print(hist)


def _print_compare(name_a: str, name_b: str, cmp: dict, lengths: dict) -> None:
    a, b = cmp["a"], cmp["b"]
    table = Table(title="side by side")
    table.add_column("")
    table.add_column(name_a, justify="right")
    table.add_column(name_b, justify="right")
    table.add_row("documents", str(a["documents"]), str(b["documents"]))
    table.add_row("candidate pairs", str(a["pairs"]["total"]), str(b["pairs"]["total"]))
    for label, (sa, sb) in cmp["label_share"].items():
        if sa or sb:
            table.add_row(f"{label} share", f"{100 * sa:.2f}%", f"{100 * sb:.2f}%")
    table.add_row("never-related pair share", f"{100 * a['never_related_pair_share']:.1f}%",
                  f"{100 * b['never_related_pair_share']:.1f}%")
    if lengths.get("a") and lengths.get("b"):
        for key in lengths["a"]["length_percentiles"]:
            table.add_row(f"tokens {key}", str(lengths["a"]["length_percentiles"][key]),
                          str(lengths["b"]["length_percentiles"][key]))
        table.add_row("truncated", f"{100 * lengths['a']['truncated_share']:.1f}%",
                      f"{100 * lengths['b']['truncated_share']:.1f}%")
    overlap = cmp["overlap"]
    table.add_row("documents in both (by id)", str(overlap["documents_by_id"]),
                  str(overlap["documents_by_id"]))
    table.add_row("documents in both (by text)", str(overlap["documents_by_text"]),
                  str(overlap["documents_by_text"]))
    table.add_row("documents only here (by id)", str(overlap["only_a"]), str(overlap["only_b"]))
    console.print(table)


def stats_cli(
    inputs: list[Path] = typer.Argument(
        ..., exists=True, metavar="INPUT",
        help="Corpus files, split JSON files or a folds folder."),
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON."),
    tokenizer: Optional[Path] = typer.Option(None, "--tokenizer", exists=True, help="Local "
                                             "tokenizer folder or .gguf file: adds the token-"
                                             "length distribution of rendered inputs."),
    max_length: Optional[int] = typer.Option(None, "--max-length", min=8, help="Token limit "
                                             "whose truncation share is reported."),
    style: str = typer.Option("typed_entity_marker_punct", "--style", help="Marker style of "
                              "the rendered inputs (relx.represent)."),
    prompt: bool = typer.Option(False, "--prompt", help="Wrap inputs in the instruction prompt."),
    context: str = typer.Option("multi_sentence", "--context", help="Context for corpus inputs."),
    compare: Optional[Path] = typer.Option(None, "--compare", exists=True, help="A second "
                                           "input (folds folder, split or corpus file) shown "
                                           "side by side."),
) -> None:
    """Describe a corpus: counts by type, NOT share, type-pair x label matrix, token lengths.

    Inputs may be corpus files, split JSON files or a folds folder (taken as is). With
    --tokenizer (and --max-length) the rendered inputs are encoded as training would, to
    show their token lengths and the share truncated; --compare puts a second input beside.
    """
    from relx.data import compare_stats, corpus_stats, load_stats_input
    from relx.represent import length_stats, load_tokenizer

    if max_length is not None and tokenizer is None:
        raise typer.BadParameter("--max-length needs --tokenizer", param_hint="--max-length")
    log = ProblemLog()
    with err_console.status("reading and pairing", spinner="dots"):
        docs_a, examples_a = load_stats_input(inputs, context=context, log=log)
    stats_a = corpus_stats(docs_a, examples_a)
    tok = load_tokenizer(tokenizer) if tokenizer is not None else None

    def lengths_of(examples: list) -> dict | None:
        if tok is None:
            return None
        with err_console.status(f"encoding {len(examples)} inputs", spinner="dots"):
            return length_stats(examples, tok, max_length_tokens=max_length, style=style,
                                prompt=prompt)

    lengths_a = lengths_of(examples_a)
    name_a = ", ".join(p.name for p in inputs)
    if compare is None:
        print_problems(log)
        if as_json:
            console.print_json(json.dumps({**stats_a, "lengths": lengths_a}))
        else:
            _print_stats(name_a, stats_a, lengths_a)
        return
    with err_console.status("reading and pairing", spinner="dots"):
        docs_b, examples_b = load_stats_input([compare], context=context, log=log)
    print_problems(log)
    stats_b = corpus_stats(docs_b, examples_b)
    cmp = compare_stats(stats_a, stats_b, documents_a=docs_a, documents_b=docs_b)
    lengths = {"a": lengths_a, "b": lengths_of(examples_b)}
    if as_json:
        console.print_json(json.dumps({**cmp, "lengths": lengths}))
        return
    _print_compare(name_a, compare.name, cmp, lengths)


def _help_of(function: object) -> str:
    """The docstring with each paragraph on one line: rich help keeps source line breaks."""
    doc = inspect.cleandoc(getattr(function, "__doc__", "") or "")
    return "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n"))


def register(app: typer.Typer) -> None:
    """Add ``relx data`` and its commands to the root app."""
    # The example goes in the epilog so that it is the last thing --help prints.
    for name, function in (("build", build_cli), ("check", check_cli), ("stats", stats_cli),
                           ("synth", synth_cli)):
        data_app.command(name, help=_help_of(function), epilog=_EXAMPLES[name])(function)
    app.add_typer(data_app, name="data")

"""CLI commands of the `evaluate` stage: ``relx eval``, ``relx predict``, ``relx report``.

Thin wrappers over :mod:`relx.evaluate`: parse, check paths, call the library, print rich
tables (or JSON). Heavy libraries (torch, transformers, matplotlib) are imported by the
library only on the paths that need them, so ``relx eval predictions.jsonl`` starts fast.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import typer

from relx._text import is_gzip
from relx.errors import RelxWarning

__all__ = ["register", "eval_cli", "predict_cli", "report_cli"]


def _ci(metric: dict[str, Any], key: str) -> str:
    ci = metric.get("ci", {}).get(key)
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-"


def _print_scores(scores: dict[str, Any], title: str) -> None:
    from rich.table import Table

    from relx.cli._app import console

    pair = scores["pair"]
    boot = scores.get("bootstrap", {})
    ci_note = (
        f"95% CI: {boot['n_resamples']} bootstrap resamples of documents, seed {boot['seed']}"
        if boot.get("n_resamples") else "no CIs (--bootstrap 0)"
    )
    table = Table(title=f"{title}: {scores['n_pairs']} pairs, {scores['n_documents']} documents",
                  caption=ci_note)
    table.add_column("protocol")
    table.add_column("P", justify="right")
    table.add_column("R", justify="right")
    table.add_column("F1", justify="right")
    table.add_column("F1 95% CI", justify="right")
    table.add_column("TP/FP/FN", justify="right")

    def row(name: str, m: dict[str, Any], style: str | None = None) -> None:
        counts = f"{m['tp']}/{m['fp']}/{m['fn']}" if "tp" in m else "-"
        table.add_row(name, f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}",
                      _ci(m, "f1"), counts, style=style)

    row("pair protocol (iKraph)", pair, "bold")
    row("  any relation vs NOT", pair["pair_only"])
    for name, setting in scores["document"]["settings"].items():
        row(f"BioRED doc: {_SETTING_NAMES[name]}", setting)
    if "inflated" in scores:
        inflated = scores["inflated"]
        table.add_row("INFLATED (gold-pos. only)",
                      f"{inflated['precision']:.4f}", f"{inflated['recall']:.4f}",
                      f"{inflated['f1']:.4f}", "-", "-", style="red")
    console.print(table)
    console.print(
        f"accuracy {pair['accuracy']:.4f} {_ci(pair, 'accuracy')} (dominated by NOT)   "
        f"macro F1 {pair['macro_f1']:.4f}",
        highlight=False,
    )
    document = scores["document"]
    if not document["novelty_scored"]:
        console.print("[dim]novelty settings skipped: no gold or no predicted novelty[/]")
    elif document.get("novelty_unknown_gold") or document.get("novelty_missing_pred"):
        console.print(
            f"[dim]novelty settings: {document.get('novelty_unknown_gold', 0)} gold relations "
            "of unknown novelty left out; "
            f"{document.get('novelty_missing_pred', 0)} predicted relations without a predicted "
            "novelty counted as mismatches[/]",
            highlight=False,
        )

    per_class = Table(title="per class (pair protocol)")
    for column in ("label", "P", "R", "F1", "support", "predicted"):
        per_class.add_column(column, justify="left" if column == "label" else "right")
    for label, m in pair["per_class"].items():
        per_class.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                          f"{m['f1']:.3f}", str(m["support"]), str(m["predicted"]))
    console.print(per_class)


_SETTING_NAMES = {"pair": "pair", "pair_type": "pair+type", "pair_novelty": "pair+novelty",
                  "all": "pair+type+novelty"}


def _print_folds(result: dict[str, Any]) -> None:
    from rich.table import Table

    from relx.cli._app import console

    s = result["fold_summary"]
    settings = [name for name in _SETTING_NAMES if f"document_{name}_f1" in s]
    table = Table(title="cross-validation folds (pair protocol; BioRED document settings F1)")
    columns = ["fold", "P", "R", "F1", "F1 95% CI", *(f"doc {_SETTING_NAMES[n]}" for n in settings)]
    for column in columns:
        table.add_column(column, justify="left" if column == "fold" else "right")
    for name, scores in result["folds"].items():
        pair = scores["pair"]
        table.add_row(name, f"{pair['precision']:.4f}", f"{pair['recall']:.4f}",
                      f"{pair['f1']:.4f}", _ci(pair, "f1"),
                      *(f"{scores['document']['settings'][n]['f1']:.4f}" for n in settings))
    table.add_row(
        "mean ± std", f"{s['precision']['mean']:.4f} ± {s['precision']['std']:.4f}",
        f"{s['recall']['mean']:.4f} ± {s['recall']['std']:.4f}",
        f"{s['f1']['mean']:.4f} ± {s['f1']['std']:.4f}", "-",
        *(f"{s[f'document_{n}_f1']['mean']:.4f} ± {s[f'document_{n}_f1']['std']:.4f}"
          for n in settings),
        style="bold",
    )
    console.print(table)
    _print_cross_fitted(result.get("threshold_cross_fitted"))


def _print_cross_fitted(cross: dict[str, Any] | None) -> None:
    """The cross-fitted threshold F1 per fold and pooled, beside the arg-max F1."""
    from rich.table import Table

    from relx.cli._app import console

    if not cross:
        return
    table = Table(title="tuned NOT threshold, cross-fitted (pair protocol F1)",
                  caption=cross["label"])
    for column in ("fold", "threshold", "F1 (cross-fitted)", "F1 (arg-max)"):
        table.add_column(column, justify="left" if column == "fold" else "right")
    for name, fold in cross["folds"].items():
        table.add_row(name, f"{fold['threshold']:.2f}", f"{fold['f1']:.4f}",
                      f"{fold['argmax_f1']:.4f}")
    table.add_row("mean ± std", "-", f"{cross['f1']['mean']:.4f} ± {cross['f1']['std']:.4f}",
                  f"{cross['argmax_f1']['mean']:.4f} ± {cross['argmax_f1']['std']:.4f}",
                  style="bold")
    table.add_row("pooled", "-", f"{cross['pooled']['f1']:.4f}", "-")
    console.print(table)


def eval_cli(
    target: Path = typer.Argument(
        ..., exists=True,
        help="A run directory, a CV directory, a checkpoint directory (with --data) or a "
        "prediction JSONL file.",
    ),
    data: Path = typer.Option(
        None, "--data", exists=True, dir_okay=False,
        help="Labelled split JSON or corpus file: the target's checkpoint predicts it first.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    also_inflated: bool = typer.Option(
        False, "--also-inflated",
        help="Also print the INFLATED F1 over gold-positive pairs only (what some scripts "
        "report); always labelled as inflated.",
    ),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, help="Bootstrap resamples (of documents) for 95% CIs; 0 = off."
    ),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    out: Path = typer.Option(
        None, "--out", "-o",
        help="Where to write eval.json (default: TARGET/eval.json for a directory, "
        "<file stem>.eval.json next to a predictions file). With --data, the predictions "
        "are saved beside it as <data stem>.predictions.jsonl.",
    ),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Batch size (with --data)."),
    device: str = typer.Option(None, "--device", help="Device (with --data), e.g. cpu, cuda:0."),
    gold: Path = typer.Option(
        None, "--gold", exists=True, dir_okay=False,
        help="Gold corpus (PubTator/BioC/LitCoin): score TARGET, a PubTator/BioC prediction file, "
        "against it by the BioRED document protocol (the BioRED/BC8 evaluation).",
    ),
    compare: Path = typer.Option(
        None, "--compare", exists=True,
        help="Another run directory or predictions file on the same pairs: paired bootstrap "
        "test of the F1 difference (TARGET minus this).",
    ),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code",
        help="With --data: let the checkpoint run the Python code it ships (auto_map). Off "
        "by default, whatever the checkpoint says; only for a model you trust.",
    ),
    allow_missing_folds: bool = typer.Option(
        False, "--allow-missing-folds",
        help="Score a CV directory even when some of its planned fold_k/ directories are "
        "missing (they are named in a warning).",
    ),
) -> None:
    """Score predictions by the pair protocol and the BioRED document protocol, with CIs.

    Example: relx eval runs/q0 --also-inflated --compare runs/q1 --out runs/q0/eval.json
    """
    from relx._guard import check_output_file
    from relx._io import atomic_write_json
    from relx.cli._app import console
    from relx.evaluate import EVAL_FILE, evaluate

    if gold is not None:
        _eval_corpus_file(target, gold, out=out, json_out=json_out)
        return
    if out is None:
        out = target / EVAL_FILE if target.is_dir() else target.with_name(
            f"{target.stem}.{EVAL_FILE}")
    # Predictions made from --data are kept next to the scores, so they can be re-scored
    # or compared (--compare) without predicting again.
    predictions_out = out.with_name(f"{data.stem}.predictions.jsonl") if data else None
    inputs = [p for p in (target, data, compare) if p is not None and p.is_file()]
    check_output_file(out, inputs=inputs)
    if predictions_out is not None:
        check_output_file(predictions_out, inputs=inputs, option="--out (its predictions)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RelxWarning)
        result = evaluate(target, data=data, n_bootstrap=bootstrap, seed=seed,
                          also_inflated=also_inflated, batch_size=batch_size, device=device,
                          predictions_out=predictions_out, trust_remote_code=trust_remote_code,
                          allow_missing_folds=allow_missing_folds)
    if compare is not None:
        mine = predictions_out if predictions_out is not None else target
        result["comparison"] = _compare(mine, compare, n_resamples=max(bootstrap, 1000),
                                        seed=seed)
    atomic_write_json(out, result)
    _print_warnings(caught)  # stderr: --json output on stdout stays parseable
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    if "folds" in result:
        _print_folds(result)
        if result["skipped_folds"]:
            console.print(f"[yellow]⚠[/] skipped {', '.join(result['skipped_folds'])}: no "
                          "saved validation predictions (unfinished)", highlight=False)
        _print_scores(result["scores"], "all folds pooled")
    else:
        _print_scores(result["scores"], str(target))
    if "comparison" in result:
        _print_comparison(result["comparison"], target, compare)
    console.print(f"[green]✔[/] wrote {out}", highlight=False)


def _eval_corpus_file(target: Path, gold: Path, *, out: Path | None, json_out: bool) -> None:
    """``relx eval PRED.pubtator --gold GOLD.pubtator``: the document protocol, four settings."""
    from rich.table import Table

    from relx._io import atomic_write_json
    from relx.cli._app import console
    from relx.evaluate import EVAL_FILE, score_corpus_predictions

    result = score_corpus_predictions(target, gold)
    out = out or target.with_name(f"{target.stem}.{EVAL_FILE}")
    atomic_write_json(out, result)
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"BioRED document protocol: {target.name} vs {gold.name} "
                  f"({result['n_documents']} documents)")
    for col in ("setting", "P", "R", "F1", "TP", "FP", "FN"):
        table.add_column(col)
    for name, m in result["settings"].items():
        table.add_row(name, f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}",
                      str(m["tp"]), str(m["fp"]), str(m["fn"]))
    console.print(table)
    console.print(f"[green]✔[/] wrote {out}", highlight=False)


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    """relx warnings as one yellow line each (no source line), others re-emitted as is."""
    from relx.cli._app import err_console

    seen: set[str] = set()
    for item in caught:
        if not issubclass(item.category, RelxWarning):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
            continue
        text = str(item.message)
        if text not in seen:
            seen.add(text)
            err_console.print(f"[yellow]⚠[/] {text}", highlight=False, soft_wrap=True)


def _prediction_file(path: Path) -> Path:
    from relx import rundir
    from relx.errors import RunDirError

    if path.is_file():
        return path
    candidate = path / rundir.VAL_PREDICTIONS_FILE
    if not candidate.is_file():
        raise RunDirError(f"{path}: no {rundir.VAL_PREDICTIONS_FILE}; --compare takes a run "
                          "directory or a predictions file", code="E603")
    return candidate


def _compare(target: Path, other: Path, *, n_resamples: int, seed: int) -> dict[str, Any]:
    from relx.evaluate import paired_bootstrap, read_predictions

    a = read_predictions(_prediction_file(target))
    b = read_predictions(_prediction_file(other))
    return {
        "other": str(other),
        "pair": paired_bootstrap(a, b, n_resamples=n_resamples, seed=seed, metric="pair"),
        "document.pair_type": paired_bootstrap(a, b, n_resamples=n_resamples, seed=seed,
                                               metric="document.pair_type"),
    }


def _print_comparison(comparison: dict[str, Any], target: Path, other: Path) -> None:
    from rich.table import Table

    from relx.cli._app import console

    table = Table(title=f"paired bootstrap: {target} vs {other}",
                  caption="same documents resampled for both; two-sided p-value")
    for column in ("F1", "A", "B", "A - B", "95% CI", "p"):
        table.add_column(column, justify="left" if column == "F1" else "right")
    for name, test in (("pair protocol", comparison["pair"]),
                       ("BioRED doc pair+type", comparison["document.pair_type"])):
        low, high = test["delta_ci"]
        table.add_row(name, f"{test['f1_a']:.4f}", f"{test['f1_b']:.4f}",
                      f"{test['delta']:+.4f}", f"[{low:+.3f}, {high:+.3f}]",
                      f"{test['p_value']:.3f}")
    console.print(table)


def _uses_directory_layout(out: str, shard: str | None) -> bool:
    """The rule of ``relx predict --help``: which output layout a command line gets."""
    import os

    launched = int(os.environ.get("WORLD_SIZE", "1") or 1) > 1
    return bool(shard) or launched or Path(out).is_dir() or out.endswith(("/", os.sep))


def _needs_streaming(inputs: list[str]) -> bool:
    """Several inputs, a folder (not a LitCoin triple) or a glob: read them as a stream."""
    if len(inputs) != 1:
        return True
    path = Path(inputs[0])
    if path.is_file():
        # gzip: PubTator3-sized files, read with bounded memory (read_corpus would hold
        # every document; it reads gzip too, for relx eval/data).
        return is_gzip(path)
    return not (path.is_dir() and _is_litcoin(path))


def _is_litcoin(path: Path) -> bool:
    from relx.data import detect_format
    from relx.errors import DataError

    try:
        return detect_format(path) == "litcoin"
    except DataError:
        return False


def predict_cli(
    run: Path = typer.Argument(
        None, exists=True, file_okay=False,
        help="A finished run directory (its best checkpoint) or a model directory.",
    ),
    inputs: list[str] = typer.Argument(
        None, help="Corpus files, folders or quoted glob patterns: PubTator, BioC XML/JSON "
        "(gzipped or not), LitCoin, split JSON.",
    ),
    out: str = typer.Option(..., "--out", "-o", help="Output file, or directory (ends with "
                            "'/' or exists) for the streaming layout."),
    output_format: str = typer.Option(
        "pubtator", "--format", "-f",
        help="Output format: pubtator, bioc_xml, bioc_json (relations with a score) or jsonl "
        "(every candidate pair with all probabilities).",
    ),
    input_format: str = typer.Option(
        None, "--input-format", help="Force the input format (default: detected per file)."
    ),
    threshold: float = typer.Option(
        None, "--threshold", min=0.0, max=1.0,
        help="Write a relation when p(relation) = 1 - p(NOT) is at least this (default: the "
        "run's tuned threshold, decision.json, else 0.5).",
    ),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Pairs per forward pass."),
    device: str = typer.Option(None, "--device", help="cpu, cuda, cuda:1... (default: auto; "
                               "the rank's GPU under torchrun/accelerate)."),
    shard: str = typer.Option(
        None, "--shard", help="K/N: predict only shard K (from 0) of N, chosen by a stable "
        "hash of the document id; combines with torchrun/accelerate ranks.",
    ),
    window: int = typer.Option(
        1000, "--window", min=1, help="Streaming layout: documents per chunk (bounds memory; "
        "the unit of progress commits and of resuming).",
    ),
    merge: Path = typer.Option(
        None, "--merge", exists=True, file_okay=False,
        help="Merge a streaming prediction directory into one --out file (no RUN, no inputs).",
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code",
        help="Let the model run the Python code it ships (auto_map). Off by default, whatever "
        "the checkpoint says; only for a model you trust.",
    ),
) -> None:
    """Predict relations on a corpus with a trained run and write them back with scores.

    Pairs whose entity types never carried a relation in training are skipped (NOT).

    Output layout (decided by --out and sharding; docs/predictions.md):

    One input file and a file --out: one file, as always. Example: relx predict runs/q0 Dev.PubTator --out dev.pred.pubtator

    --out DIR/ (ends with '/' or exists), --shard K/N, or a torchrun/accelerate launch: the streaming layout, DIR/predict.json plus one folder of chunk files and a manifest per shard; streamed --window documents at a time and resumable (re-run the same command after a crash). Example: relx predict runs/q0 'pubtator3/*.BioC.JSON.gz' --out preds/ --shard 0/4 --format jsonl

    Merge it into one file: relx predict --merge preds/ --out all.jsonl

    Several inputs, a folder or a glob with a file --out: streamed through OUT.parts/ (the same layout, resumable), merged into OUT at the end, OUT.parts/ then removed.
    """
    import logging

    from relx.cli._app import console
    from relx.errors import ConfigError

    out_text = out  # a trailing '/' (directory layout) is lost in a Path
    out = Path(out)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if merge is not None:
        from relx.evaluate import merge_predictions

        if run is not None or inputs:
            raise ConfigError("--merge takes no RUN or inputs; expected relx predict --merge "
                              "DIR --out FILE", code="E508")
        summary = merge_predictions(merge, out)
        if json_out:
            typer.echo(json.dumps(summary, indent=2))
            return
        console.print(f"[green]✔[/] merged {summary['n_chunks']} chunks of "
                      f"{summary['n_shards']} shards: {summary['n_documents']} documents, "
                      f"{summary['n_pairs']} pairs, {summary['n_relations']} relations -> "
                      f"{summary['out']} ({summary['format']})", highlight=False)
        return
    if run is None or not inputs:
        raise ConfigError("relx predict needs RUN and at least one input; expected e.g. relx "
                          "predict runs/q0 Dev.PubTator --out dev.pred.pubtator", code="E508")
    if _uses_directory_layout(out_text, shard) or _needs_streaming(inputs):
        _predict_streaming(run, inputs, out=out_text, output_format=output_format,
                           input_format=input_format, threshold=threshold,
                           batch_size=batch_size, device=device, shard=shard, window=window,
                           progress=progress, json_out=json_out,
                           trust_remote_code=trust_remote_code)
        return

    from relx.evaluate import predict

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RelxWarning)
        summary = predict(run, [Path(i) for i in inputs], out=out, output_format=output_format,
                          input_format=input_format, threshold=threshold,
                          batch_size=batch_size, device=device, progress=progress,
                          trust_remote_code=trust_remote_code)
    _print_warnings(caught)
    if json_out:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(
        f"[green]✔[/] {summary['n_relations']} relations (p >= {summary['threshold']}) from "
        f"{summary['n_pairs']} candidate pairs in {summary['n_documents']} documents "
        f"({summary['n_skipped_type_pair']} skipped: type pair never related in training) "
        f"-> {summary['out']} ({summary['format']})",
        highlight=False,
    )
    if summary["problems"]:
        console.print(f"[yellow]⚠[/] {summary['problems']} input problems were reported and "
                      "skipped; run `relx data check` on the inputs for details")


def _predict_streaming(run: Path, inputs: list[str], *, out: str, json_out: bool,
                       **options: Any) -> None:
    """The streaming layout (into ``out``, or into ``out.parts/`` merged into file ``out``)."""
    import shutil

    from relx.cli._app import console
    from relx.evaluate import STREAM_IDENTITY_FILE, merge_predictions, predict_stream

    to_file = not _uses_directory_layout(out, options["shard"])
    directory = Path(f"{out}.parts") if to_file else Path(out)
    summary = predict_stream(run, inputs, out_dir=directory, **options)
    if to_file:
        summary["merged"] = merge_predictions(directory, out)
        if (directory / STREAM_IDENTITY_FILE).is_file():
            shutil.rmtree(directory)
    if json_out:
        typer.echo(json.dumps(summary, indent=2))
        return
    state = "already complete" if summary["already_complete"] else (
        f"{summary['new_documents']} documents in {summary['seconds']:.1f} s "
        f"({summary['documents_per_s']:,.1f} docs/s, {summary['pairs_per_s']:,.0f} pairs/s)")
    console.print(
        f"[green]✔[/] shard {summary['shard']}: {summary['n_relations']} relations "
        f"(p >= {summary['threshold']}) from {summary['n_pairs']} candidate pairs in "
        f"{summary['n_documents']} documents, {summary['n_skipped_type_pair']} pairs skipped "
        f"by the type-pair mask; {state}; {summary['resumed_chunks']} chunks resumed "
        f"-> {summary.get('merged', {}).get('out', summary['shard_dir'])}",
        highlight=False,
    )
    if summary["problems"]:
        console.print(f"[yellow]⚠[/] {summary['problems']} input problems were reported and "
                      "skipped; run `relx data check` on the inputs for details")


def report_cli(
    target: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A run directory or a CV directory."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for report.html, report.md "
                             "and plots/."),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, help="Bootstrap resamples (of documents) for 95% CIs."
    ),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    json_out: bool = typer.Option(False, "--json", help="Print the written paths as JSON."),
) -> None:
    """Write a self-contained HTML report and a Markdown summary of a run or CV directory.

    Learning curves, per-class bars, confusion heatmap, precision-recall curves, CV fold table
    (mean ± std) and the resolved config; plots are embedded, the page needs no network.

    Example: relx report runs/cv0 --out runs/cv0/report
    """
    from relx.cli._app import console, err_console
    from relx.evaluate import write_report

    # A spinner on stderr (terminals only): bootstrap CIs, plots and doctor take seconds.
    with warnings.catch_warnings(record=True) as caught, err_console.status(
        f"writing the report of {target} (scores, {bootstrap} bootstrap resamples, plots, doctor)..."
    ):
        warnings.simplefilter("always", RelxWarning)
        written = write_report(target, out, n_bootstrap=bootstrap, seed=seed)
    _print_warnings(caught)
    if json_out:
        typer.echo(json.dumps(written, indent=2))
        return
    console.print(f"[green]✔[/] wrote {written['html']} and {written['markdown']} "
                  f"({len(written['plots'])} plots: {', '.join(written['plots'])})",
                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``relx eval``, ``relx predict`` and ``relx report`` to the root app."""
    app.command("eval", no_args_is_help=True)(eval_cli)
    app.command("predict", no_args_is_help=True)(predict_cli)
    app.command("report", no_args_is_help=True)(report_cli)

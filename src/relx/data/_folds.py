"""Document-level folds on disk: ``split_0.json .. split_{K-1}.json`` + ``manifest.json``.

Folds are by document (docs/formats.md §2): every pair of one abstract lands in one split, so
no abstract's text is seen in training and validation at once. With stratification, rare
relation types (BioRED has 3 Conversion and 11 Drug_Interaction relations) are spread over
the folds instead of landing in one by chance; a fold without any example of a label
makes that label's F1 undefined there.

The manifest records the source files and their SHA-256, every option, the counts per split
and label and the relx version, so that ``relx data check`` (and a reader months later) can
tell whether the splits still match what built them. ``pmid_to_fold.json`` holds the
document -> fold assignment, reusable with ``--fold-file``.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relx import __version__
from relx._guard import check_output_dir
from relx._io import atomic_write_json, read_json, sha256_file
from relx._lock import lock_directory, release_directory
from relx.data._document import Document
from relx.data._example import PairExample
from relx.data._pairs import CONTEXTS, build_document_pairs
from relx.data._problems import ProblemLog
from relx.data._read import detect_format, read_corpus
from relx.data._sentences import DEFAULT_SPLITTER, SPLITTERS
from relx.data._split import read_split, write_split
from relx.errors import ConfigError, DataError
from relx.labels import ALL_LABELS, NOT_LABEL

__all__ = [
    "MANIFEST_FILE",
    "FOLD_ASSIGNMENT_FILE",
    "MANIFEST_FORMAT_VERSION",
    "split_file_name",
    "assign_folds",
    "assign_document_folds",
    "read_fold_file",
    "FoldsResult",
    "build_folds",
    "CheckLine",
    "check_folds",
]

MANIFEST_FILE = "manifest.json"
FOLD_ASSIGNMENT_FILE = "pmid_to_fold.json"
#: Bumped when the manifest's schema changes incompatibly.
MANIFEST_FORMAT_VERSION = 1


#: Resolution of the stratified greedy: a fold's load of a label is compared in tenths of
#: that label's fair share, so frequent labels do not override balanced document counts.
_LOAD_STEPS = 10


def split_file_name(fold: int) -> str:
    """``split_{fold}.json``: the iKraph users' file name for fold ``fold``."""
    return f"split_{fold}.json"


def _check_n_folds(n_folds: int) -> None:
    if not isinstance(n_folds, int) or n_folds < 1:
        raise ConfigError(f"n_folds (--folds) must be an integer >= 1; got {n_folds!r}. "
                          "Use 5 for the users' protocol or 1 for a single file.", code="E114")


def assign_folds(
    label_counts: Mapping[str, Mapping[str, int]],
    *,
    n_folds: int = 5,
    seed: int = 0,
    stratify: bool = True,
) -> dict[str, int]:
    """Assign each document to one of ``n_folds`` folds, deterministically by ``seed``.

    Unstratified: documents are shuffled and dealt round-robin (fold sizes differ by at
    most one document). Stratified: documents are placed greedily, those holding the
    rarest label first, each into the fold with the lowest load of its rarest label
    (counted in tenths of a fold's fair share), then the fewest documents and pairs, so a
    label with at least ``n_folds`` documents appears in every fold and sizes stay even.

    Args:
        label_counts: Document id -> label -> number of pairs (``NOT`` included; it counts
            towards fold size only).
        n_folds: Number of folds K.
        seed: Shuffling seed; ties are broken by this order.
        stratify: Spread rare labels across folds.

    Returns:
        Document id -> fold index in ``[0, n_folds)``.

    Raises:
        ConfigError: ``n_folds`` is not a positive integer.
    """
    _check_n_folds(n_folds)
    doc_ids = sorted(label_counts)
    random.Random(seed).shuffle(doc_ids)
    if not stratify:
        return {doc_id: i % n_folds for i, doc_id in enumerate(doc_ids)}

    totals: Counter[str] = Counter()
    for counts in label_counts.values():
        for label, n in counts.items():
            if label != NOT_LABEL:
                totals[label] += n
    # Rarest first; a label's rank orders both the documents and each one's labels.
    by_rarity = sorted(totals.items(), key=lambda item: (item[1], item[0]))
    rank = {label: i for i, (label, _) in enumerate(by_rarity)}
    no_label = len(rank)

    def doc_labels(doc_id: str) -> list[str]:
        return sorted((lab for lab, n in label_counts[doc_id].items() if lab in rank and n > 0),
                      key=rank.__getitem__)

    order = sorted(doc_ids, key=lambda d: rank[doc_labels(d)[0]] if doc_labels(d) else no_label)
    fold_labels: list[Counter[str]] = [Counter() for _ in range(n_folds)]
    fold_docs = [0] * n_folds
    fold_pairs = [0] * n_folds
    assignment: dict[str, int] = {}
    expected = {label: n / n_folds for label, n in totals.items()}

    def load(fold: int, label: str) -> int:
        # In tenths of the label's fair share per fold: a rare label's every example counts,
        # while a frequent label's small differences tie so that document counts decide.
        return int(_LOAD_STEPS * fold_labels[fold][label] / expected[label])

    for doc_id in order:
        labels = doc_labels(doc_id)
        fold = min(range(n_folds), key=lambda f: (
            load(f, labels[0]) if labels else 0, fold_docs[f], fold_pairs[f], f))
        assignment[doc_id] = fold
        fold_labels[fold].update({lab: label_counts[doc_id][lab] for lab in labels})
        fold_docs[fold] += 1
        fold_pairs[fold] += sum(label_counts[doc_id].values())
    return assignment


def read_fold_file(path: str | os.PathLike[str], *, n_folds: int) -> dict[str, int]:
    """Read a document -> fold JSON mapping (``pmid_to_fold.json``), checking every value.

    Raises:
        DataError: The file is missing, not a JSON object, or a fold is not an integer in
            ``[0, n_folds)`` (E115).
    """
    p = Path(path)
    try:
        obj = read_json(p)
    except FileNotFoundError:
        raise DataError("fold file not found; expected a JSON object {document id: fold}",
                        path=str(p), code="E115") from None
    except ValueError as exc:
        raise DataError(f"fold file is not valid JSON ({exc}); expected a JSON object "
                        "{document id: fold}", path=str(p), code="E115") from None
    if not isinstance(obj, dict):
        raise DataError(f"fold file holds a {type(obj).__name__}; expected a JSON object "
                        "{document id: fold}", path=str(p), code="E115")
    out: dict[str, int] = {}
    for doc_id, fold in obj.items():
        if not isinstance(fold, int) or isinstance(fold, bool) or not 0 <= fold < n_folds:
            raise DataError(f"document {doc_id} has fold {fold!r}; expected an integer in "
                            f"[0, {n_folds}) for --folds {n_folds}; pass the --folds the file "
                            "was made with", path=str(p), code="E115")
        out[str(doc_id)] = fold
    return out


def _listed_splits(manifest_path: Path) -> set[str]:
    """Split file names an existing manifest lists (empty when there is none)."""
    try:
        manifest = read_json(manifest_path)
        return {str(s["file"]) for s in manifest["splits"] if str(s["file"]).startswith("split_")}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


@dataclass
class FoldsResult:
    """What :func:`build_folds` wrote and found."""

    out_dir: Path
    files: list[Path]
    manifest: dict[str, Any]
    problems: ProblemLog
    assignment: dict[str, int] = field(default_factory=dict)


def assign_document_folds(
    pairs_by_document: Mapping[str, Sequence[PairExample]],
    *,
    n_folds: int,
    seed: int = 0,
    stratify: bool = True,
) -> dict[str, int]:
    """:func:`assign_folds` over each document's pair labels, in the documents' order.

    The one assignment behind ``relx data build`` and ``relx train`` on a corpus: documents
    without any pair must be included (they take a slot in the greedy order), so both callers
    see the same folds for the same corpus, seed and fold count.
    """
    return assign_folds({d: _label_counter(ex) for d, ex in pairs_by_document.items()},
                        n_folds=n_folds, seed=seed, stratify=stratify)


def _label_counter(examples: Sequence[PairExample]) -> dict[str, int]:
    counts = Counter(e.label for e in examples)
    return {label: counts[label] for label in ALL_LABELS if counts[label]} | {
        label: n for label, n in sorted(counts.items()) if label not in ALL_LABELS}


def build_folds(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    n_folds: int = 5,
    context: str = "multi_sentence",
    seed: int = 0,
    stratify: bool = True,
    fold_file: str | os.PathLike[str] | None = None,
    strict: bool = False,
    splitter: str = DEFAULT_SPLITTER,
    format: str | None = None,  # noqa: A002 - mirrors read_corpus
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> FoldsResult:
    """Read corpora, build pairs, split them by document into folds, and write them.

    Nothing is written until every pair is built; the split files and the assignment are
    then written atomically and ``manifest.json`` last, so an interrupted build never
    leaves a manifest that describes files that are not there.

    Args:
        inputs: Corpus files (any format :func:`~relx.data.read_corpus` reads).
        out_dir: Output folder (created).
        n_folds: K; ``1`` writes a single ``split_0.json``.
        context: ``multi_sentence`` or ``document`` (see :func:`~relx.data.build_pairs`).
        seed: Fold assignment seed.
        stratify: Spread rare relation types across folds.
        fold_file: Reuse a document -> fold JSON mapping instead of assigning.
        strict: Fail on the first input problem instead of reporting and skipping.
        splitter: Sentence splitter for ``multi_sentence``.
        format: Force the input format instead of detecting it.
        progress: Called as ``progress(done_documents, total_documents)`` while building.
        force: Write into a non-empty folder that holds no relx manifest (someone's own
            ``split_0.json`` would be overwritten); refused (E615) otherwise.

    Returns:
        A :class:`FoldsResult` with the files written, the manifest and the problems.

    Raises:
        ConfigError: An option is out of range.
        DataError: An input cannot be read, a document is missing from ``fold_file``, or
            (``strict``) any input problem.
    """
    _check_n_folds(n_folds)
    if context not in CONTEXTS:
        raise ConfigError(f"context must be one of {', '.join(CONTEXTS)}; got {context!r}",
                          code="E111")
    if splitter not in SPLITTERS:
        raise ConfigError(f"splitter must be one of {', '.join(SPLITTERS)}; got {splitter!r}",
                          code="E112")
    if not inputs:
        raise DataError("no input corpus given; expected one or more corpus files",
                        code="E119", hint="relx data synth --out corpus.txt")
    check_output_dir(out_dir, is_relx_dir=_is_relx_folds_dir, force=force,
                     what="split files and a manifest")
    log = ProblemLog(strict=strict)
    documents = read_corpus(list(inputs), format=format, log=log)
    if not documents:
        why = f" ({len(log)} problem(s); first: {log.problems[0]})" if len(log) else ""
        raise DataError(f"no usable document in {', '.join(str(p) for p in inputs)}; expected "
                        f"at least one title/abstract{why}", code="E119")
    if n_folds > len(documents):
        raise ConfigError(f"n_folds (--folds) is {n_folds} but the input has only "
                          f"{len(documents)} usable document(s); every fold needs at least one "
                          f"document. Use --folds {len(documents)} or fewer.", code="E114")
    by_doc: dict[str, list[PairExample]] = {}
    for i, document in enumerate(documents, start=1):
        by_doc[document.doc_id] = build_document_pairs(
            document, context=context, log=log, splitter=splitter)  # type: ignore[arg-type]
        if progress is not None:
            progress(i, len(documents))

    if fold_file is not None:
        assignment = read_fold_file(fold_file, n_folds=n_folds)
        missing = [d for d in by_doc if d not in assignment]
        if missing:
            raise DataError(f"{len(missing)} document(s) are not in the fold file (first: "
                            f"{', '.join(missing[:3])}); expected every input document",
                            path=str(fold_file), code="E115",
                            hint="rebuild without --fold-file, or add those documents")
        assignment = {d: assignment[d] for d in by_doc}
    else:
        assignment = assign_document_folds(by_doc, n_folds=n_folds, seed=seed,
                                           stratify=stratify)

    _check_pairs_kept(inputs, documents, by_doc, format=format, context=context, log=log)
    folds: list[list[PairExample]] = [[] for _ in range(n_folds)]
    fold_docs: list[int] = [0] * n_folds
    for doc_id, examples in by_doc.items():  # input order within each fold: deterministic
        folds[assignment[doc_id]].extend(examples)
        fold_docs[assignment[doc_id]] += 1

    out = Path(out_dir)
    lock_directory(out, kind="data build")  # creates it; one writer per folder (relx._lock)
    try:
        return _write_folds(out, folds, fold_docs, assignment, by_doc, log, inputs=inputs,
                            format=format, options={
                                "n_folds": n_folds, "context": context, "seed": seed,
                                "stratify": stratify,
                                "fold_file": str(fold_file) if fold_file is not None else None,
                                "strict": strict, "splitter": splitter})
    finally:
        release_directory(out)


def _is_relx_folds_dir(folder: Path) -> bool:
    """Whether ``folder`` holds a manifest relx wrote (a user's own manifest.json is not)."""
    try:
        manifest = read_json(folder / MANIFEST_FILE)
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "relx_version" in manifest and "splits" in manifest


def _check_pairs_kept(
    inputs: Sequence[str | os.PathLike[str]],
    documents: Sequence[Document],
    by_doc: Mapping[str, Sequence[PairExample]],
    *,
    format: str | None,  # noqa: A002 - mirrors read_corpus
    context: str,
    log: ProblemLog,
) -> None:
    """Refuse to write nothing, and say so when split files read as a corpus lose pairs.

    A split file is a list of *pairs*, each with the text cut around it; rebuilt into
    documents and paired again by sentence windows, pairs whose mentions sat in different
    windows of the longest text disappear (218 -> 126 on relx's own multi-sentence files).
    """
    n_pairs = sum(len(v) for v in by_doc.values())
    if n_pairs == 0:
        problems = ", ".join(f"{n} x {code}" for code, n in sorted(log.counts().items()))
        raise DataError(
            f"0 candidate pairs from {len(documents)} usable document(s) in "
            f"{', '.join(str(p) for p in inputs)}; nothing written. A pair needs two concepts "
            "with mentions in one document" + (f" (input problems: {problems})" if problems
                                              else ""),
            code="E120",
            hint="relx data stats INPUT  # shows mentions, relations and problems",
        )
    split_inputs = [p for p in inputs if Path(p).is_file()
                    and (format or detect_format(p)) == "split_json"]
    if not split_inputs:
        return
    sources = {str(Path(p)) for p in split_inputs}
    rebuilt = sum(len(by_doc.get(d.doc_id, ())) for d in documents if d.source in sources)
    entries = sum(len(read_split(p, log=ProblemLog())) for p in split_inputs)
    if rebuilt < entries:
        log.report(
            "E120",
            f"split files are pair files, not a corpus: their {entries} pairs became {rebuilt} "
            f"when rebuilt with context={context} ({entries - rebuilt} lost, "
            f"{100 * (entries - rebuilt) / entries:.0f}%); use the split files directly "
            "(data.split_files=[...]), or rebuild with --context document",
            path=", ".join(str(p) for p in split_inputs),
        )


def _write_folds(
    out: Path,
    folds: list[list[PairExample]],
    fold_docs: list[int],
    assignment: dict[str, int],
    by_doc: dict[str, list[PairExample]],
    log: ProblemLog,
    *,
    inputs: Sequence[str | os.PathLike[str]],
    format: str | None,  # noqa: A002 - mirrors read_corpus
    options: dict[str, Any],
) -> FoldsResult:
    """Write the split files, the assignment and, last, the manifest into ``out``."""
    stale = _listed_splits(out / MANIFEST_FILE)
    # An old manifest would vouch for files we are about to replace: drop it first, so an
    # interrupted build reads as unfinished (``relx data check`` warns: no manifest).
    (out / MANIFEST_FILE).unlink(missing_ok=True)
    files: list[Path] = []
    splits: list[dict[str, Any]] = []
    for k, examples in enumerate(folds):
        path = out / split_file_name(k)
        write_split(path, examples)
        files.append(path)
        splits.append({"file": path.name, "sha256": sha256_file(path), "documents": fold_docs[k],
                       "pairs": len(examples), "labels": _label_counter(examples)})
    assignment_path = out / FOLD_ASSIGNMENT_FILE
    atomic_write_json(assignment_path, assignment)

    all_examples = [e for fold in folds for e in fold]
    manifest = {
        "format_version": MANIFEST_FORMAT_VERSION,
        "relx_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "sources": [{"path": str(Path(p)), "resolved": str(Path(p).resolve()),
                     "format": format or detect_format(p),
                     "sha256": sha256_file(p) if Path(p).is_file() else None} for p in inputs],
        "options": options,
        "counts": {"documents": len(by_doc), "pairs": len(all_examples),
                   "labels": _label_counter(all_examples),
                   "problems": dict(sorted(log.counts().items()))},
        "splits": splits,
        "fold_assignment": assignment_path.name,
    }
    atomic_write_json(out / MANIFEST_FILE, manifest)
    # Splits an earlier build with more folds wrote here would pass for part of this one.
    for name in sorted(stale - {p.name for p in files}):
        (out / name).unlink(missing_ok=True)
    return FoldsResult(out_dir=out, files=files, manifest=manifest, problems=log,
                       assignment=assignment)


@dataclass(frozen=True)
class CheckLine:
    """One measured fact of :func:`check_folds`: ``status`` is ``ok``, ``warn`` or ``fail``."""

    status: str
    message: str


def check_folds(directory: str | os.PathLike[str]) -> list[CheckLine]:
    """Check a folds directory: files parse, no document in two splits, hashes match.

    Works on relx's own output (with ``manifest.json``) and on a bare folder of iKraph
    ``split_*.json`` files (hash and count checks are then skipped, with a warning).

    Returns:
        The checklist; any ``fail`` line means the directory must not be trained on.

    Raises:
        DataError: ``directory`` does not exist or is not a folder (E116).
    """
    root = Path(directory)
    if not root.is_dir():
        raise DataError("folds directory not found; expected the --out folder of relx data "
                        "build", path=str(root), code="E116",
                        hint=f"relx data build CORPUS --out {root}")
    lines: list[CheckLine] = []
    manifest: dict[str, Any] | None = None
    manifest_path = root / MANIFEST_FILE
    if manifest_path.exists():
        try:
            manifest = read_json(manifest_path)
            if not isinstance(manifest, dict) or not isinstance(manifest.get("splits"), list):
                raise ValueError("no 'splits' list")
            if not all(isinstance(s, dict) and isinstance(s.get("file"), str)
                       for s in manifest["splits"]):
                raise ValueError("a 'splits' entry has no 'file' name")
            lines.append(CheckLine("ok", f"{MANIFEST_FILE} parses (relx "
                                         f"{manifest.get('relx_version', '?')})"))
        except ValueError as exc:
            lines.append(CheckLine("fail", f"{MANIFEST_FILE} is not a relx manifest ({exc})"))
            manifest = None
    else:
        lines.append(CheckLine("warn", f"no {MANIFEST_FILE}: hashes and counts not checked"))

    on_disk = sorted(root.glob("split_*.json"), key=lambda p: (len(p.name), p.name))
    if manifest is not None:
        listed = [s.get("file", "") for s in manifest["splits"]]
        names = listed
        extra = sorted({p.name for p in on_disk} - set(listed))
        if extra:
            lines.append(CheckLine("warn", f"{len(extra)} split file(s) not in the manifest "
                                           f"(stale?): {', '.join(extra[:3])}"))
    else:
        names = [p.name for p in on_disk]
    if not names:
        lines.append(CheckLine("fail", "no split_*.json file"))
        return lines

    doc_split: dict[str, str] = {}
    overlap: dict[str, list[str]] = {}
    label_totals: Counter[str] = Counter()
    label_splits: dict[str, set[str]] = {}
    for i, name in enumerate(names):
        path = root / name
        entry = manifest["splits"][i] if manifest is not None else None
        if not path.exists():
            lines.append(CheckLine("fail", f"{name} is missing"))
            continue
        if entry is not None and entry.get("sha256") and sha256_file(path) != entry["sha256"]:
            lines.append(CheckLine("fail", f"{name}: SHA-256 differs from the manifest "
                                           "(edited after the build)"))
        try:
            examples = read_split(path)
        except DataError as exc:
            lines.append(CheckLine("fail", f"{name} does not parse: {exc.message}"))
            continue
        docs = {e.document_id for e in examples}
        counts = Counter(e.label for e in examples)
        if entry is not None and entry.get("pairs") not in (None, len(examples)):
            lines.append(CheckLine("fail", f"{name}: {len(examples)} pairs, manifest says "
                                           f"{entry['pairs']}"))
        keys = Counter(e.pair_key for e in examples)
        dupes = sum(n - 1 for n in keys.values() if n > 1)
        if dupes:
            lines.append(CheckLine("fail", f"{name}: {dupes} duplicate pair(s) of one document"))
        positives = sum(n for lab, n in counts.items() if lab != NOT_LABEL)
        lines.append(CheckLine("ok", f"{name} parses: {len(docs)} documents, {len(examples)} "
                                     f"pairs, {positives} positive"))
        concepts: dict[str, set[str]] = {}
        pairs_of: Counter[str] = Counter()
        for e in examples:
            concepts.setdefault(e.document_id, set()).update((e.entity_a_id, e.entity_b_id))
            pairs_of[e.document_id] += 1
        incomplete = [d for d, ids in concepts.items()
                      if pairs_of[d] < len(ids) * (len(ids) - 1) // 2]
        if incomplete:
            d = incomplete[0]
            n = len(concepts[d])
            lines.append(CheckLine("warn", f"{name}: {len(incomplete)} document(s) lack some "
                                           "candidate pairs of their concepts (e.g. "
                                           f"{d}: {pairs_of[d]} of {n * (n - 1) // 2}); "
                                           "filtered splits score differently"))
        for doc_id in docs:
            if doc_id in doc_split:
                overlap.setdefault(doc_id, [doc_split[doc_id]]).append(name)
            else:
                doc_split[doc_id] = name
        label_totals.update(counts)
        for label in counts:
            label_splits.setdefault(label, set()).add(name)

    if overlap:
        first = next(iter(overlap.items()))
        lines.append(CheckLine("fail", f"{len(overlap)} document(s) in more than one split "
                                       f"(e.g. {first[0]} in {', '.join(first[1])})"))
    else:
        lines.append(CheckLine("ok", f"no document in two splits ({len(doc_split)} documents)"))

    n_splits = len(names)
    for label, total in sorted(label_totals.items(), key=lambda x: x[1]):
        if label == NOT_LABEL or n_splits < 2:
            continue
        present = len(label_splits[label])
        if present < n_splits:
            lines.append(CheckLine("warn", f"label {label} ({total} pairs) is absent from "
                                           f"{n_splits - present} of {n_splits} splits: its F1 "
                                           "is undefined on those folds"))

    if manifest is not None:
        for source in manifest.get("sources") or []:
            if not isinstance(source, dict) or not isinstance(source.get("path"), str):
                lines.append(CheckLine("warn", f"a source entry of {MANIFEST_FILE} has no path"))
                continue
            path = Path(source["path"])
            if not path.exists() and source.get("resolved"):
                path = Path(source["resolved"])  # checked from another working directory
            digest = source.get("sha256")
            if not path.is_file():
                lines.append(CheckLine("warn", f"source {path} is not here (hash not checked)"))
            elif digest and sha256_file(path) != digest:
                lines.append(CheckLine("warn", f"source {path} changed since the build; "
                                               "rebuild to pick up the change"))
            else:
                lines.append(CheckLine("ok", f"source {path} unchanged"))
    return lines

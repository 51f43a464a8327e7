"""Hostile and unlucky input, one row each: the command, its exit code, the words it must say.

Every row runs the real entry point (``relx.cli.main``, the error boundary users hit) on tiny
files in a fresh folder, and checks four things: the exit code, the words in the message
(case-insensitive, whitespace-normalised), no traceback, and that nothing was written or
changed in the folder unless the row says what may be written. Adding a case is one row.

Rows that need a saved model share one tiny untrained run (module fixture), copied per row.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import pickle
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from relx import rundir
from relx.cli import main
from relx.data import write_synthetic_corpus
from relx.evaluate import write_predictions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evaluate"))
from _evaluate_helpers import fake_predictions, make_cv_dir, make_run_dir, save_untrained_run  # noqa: E402

# --------------------------------------------------------------------------- tiny inputs

DOC = (
    "11|t|Aspirin binds COX1.\n"
    "11|a|Aspirin inhibits COX1 in cells. COX1 causes pain.\n"
    "11\t0\t7\tAspirin\tChemicalEntity\tD001\n"
    "11\t14\t18\tCOX1\tGeneOrGeneProduct\t5742\n"
    "11\t20\t27\tAspirin\tChemicalEntity\tD001\n"
    "11\t37\t41\tCOX1\tGeneOrGeneProduct\t5742\n"
    "11\tBind\tD001\t5742\tNovel\n"
    "\n"
)


def pubtator(tmp: Path, text: str = DOC, name: str = "c.pubtator") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def synth(tmp: Path, docs: int = 12) -> Path:
    path = tmp / "synth.pubtator"
    write_synthetic_corpus(path, n_docs=docs, seed=3)
    return path


def latin1_split(tmp: Path) -> Path:
    path = tmp / "split_0.json"
    path.write_bytes('[{"text": "Caf\u00e9 binds"}]'.encode("latin-1"))
    return path


def litcoin(tmp: Path, *, entities_header: str | None = None, latin1: bool = False) -> Path:
    folder = tmp / "litcoin"
    folder.mkdir()
    title = "Aspirin binds COX1 caf\u00e9."
    rows = {
        "abstracts_train.csv": f"abstract_id\ttitle\tabstract\n11\t{title}\tCOX1 causes pain.\n",
        "entities_train.csv": (entities_header or "id\tabstract_id\toffset_start\toffset_finish"
                               "\ttype\tmention\tentity_ids") + "\n"
        "1\t11\t0\t7\tChemicalEntity\tAspirin\tD001\n2\t11\t14\t18\tGeneOrGeneProduct\tCOX1\t5742\n",
        "relations_train.csv": "id\tabstract_id\ttype\tentity_1_id\tentity_2_id\tnovel\n"
        "1\t11\tBind\tD001\t5742\tNovel\n",
    }
    for name, text in rows.items():
        (folder / name).write_bytes(text.encode("latin-1" if latin1 else "utf-8"))
    return folder


def relx_split_files(tmp: Path) -> list[Path]:
    """relx's own multi-sentence split files of a synthetic corpus (built once per row)."""
    from relx.data._folds import build_folds

    built = build_folds([synth(tmp, docs=20)], out_dir=tmp / "built", n_folds=2)
    (tmp / "synth.pubtator").unlink()
    return built.files


def foreign_dir(tmp: Path, name: str = "mine", file: str = "notes.txt") -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / file).write_text("the user's own file\n")
    return folder


def fake_model_run(tmp: Path) -> Path:
    """A run whose best checkpoint exists by name only: enough for checks made before loading."""
    run = tmp / "run"
    (run / rundir.DIR_BEST).mkdir(parents=True)
    (run / rundir.DIR_BEST / "relx_model.json").write_text("{}")
    return run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_run")
    return save_untrained_run(root / "run", pubtator(root))


#: The shared tiny run, filled by test_bad_input for the rows that need a model.
TINY: dict[str, Path] = {}


def model_run(tmp: Path) -> Path:
    run = tmp / "run"
    shutil.copytree(TINY["run"], run)
    return run


def booby_trapped_run(tmp: Path) -> Path:
    """A run whose checkpoint asks for remote code and ships Python that leaves a marker."""
    run = model_run(tmp)
    best = run / rundir.DIR_BEST
    info = json.loads((best / "relx_model.json").read_text())
    info["trust_remote_code"] = True
    (best / "relx_model.json").write_text(json.dumps(info))
    config = json.loads((best / "backbone" / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilModel"}
    (best / "backbone" / "config.json").write_text(json.dumps(config))
    (best / "backbone" / "evil.py").write_text(
        f"open({str(tmp.parent / 'PWNED')!r}, 'w').write('ran')\n"
        "from transformers import BertConfig as EvilConfig, BertModel as EvilModel\n")
    return run


class _Marker:
    """Unpickling this writes a file: proof that a pickle was opened."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204
        return (open, (self.path, "w"))


def pickled_backbone_run(tmp: Path) -> Path:
    run = model_run(tmp)
    backbone = run / rundir.DIR_BEST / "backbone"
    for weights in backbone.glob("*.safetensors"):
        weights.unlink()
    with open(backbone / "pytorch_model.bin", "wb") as handle:
        pickle.dump(_Marker(str(tmp.parent / "PWNED")), handle)
    return run


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One bad input: ``setup(tmp)`` writes it and returns the argv after ``relx``."""

    id: str
    setup: Callable[[Path], list[str]]
    code: int
    words: tuple[str, ...]
    absent: tuple[str, ...] = ()  # words that must NOT appear (a misleading reason)
    may_write: tuple[str, ...] = ()  # glob patterns (relative to tmp) a row may create
    model: bool = False


def _out(tmp: Path) -> str:
    return str(tmp / "out")


CASES: list[Case] = [
    # ---- item 8: tracebacks -> one-line errors ---------------------------------------------
    Case("split-json-not-utf8-build", lambda t: ["data", "build", str(latin1_split(t)),
         "--out", _out(t)], 1, ("not utf-8", "split_0.json:1", "iconv")),
    Case("split-json-not-utf8-stats", lambda t: ["data", "stats", str(latin1_split(t))], 1,
         ("not utf-8", "split_0.json:1")),
    Case("litcoin-not-utf8", lambda t: ["data", "build", str(litcoin(t, latin1=True)), "--out",
         _out(t)], 1, ("not utf-8", "abstracts_train.csv:2")),
    Case("predictions-not-utf8", lambda t: ["eval", str(_latin1_predictions(t)), "--bootstrap",
         "0"], 1, ("not utf-8", "p.jsonl:1")),
    Case("binary-forced-split-json", lambda t: ["data", "build", str(_binary(t)), "--format",
         "split_json", "--out", _out(t)], 1, ("binary", "blob.bin")),
    Case("utf16-input", lambda t: ["data", "build", str(_utf16(t)), "--out", _out(t)], 1,
         ("utf-16", "iconv")),
    Case("out-is-a-file", lambda t: ["data", "build", str(pubtator(t)), "--out",
         str(_file(t, "taken"))], 1, ("existing file", "taken")),
    Case("out-is-dangling-symlink", lambda t: ["data", "build", str(pubtator(t)), "--out",
         str(_dangling(t))], 1, ("symlink", "missing")),
    Case("negative-pubtator-offset", lambda t: ["data", "build", str(pubtator(
         t, DOC.replace("11\t0\t7\t", "11\t-5\t7\t"))), "--out", _out(t), "--strict"], 1,
         ("negative", "c.pubtator:3", "E102"), absent=("novelty",)),
    Case("xml-iso-8859-1-accepted", lambda t: ["data", "stats", str(_latin1_xml(t)), "--json"],
         0, ('"documents": 1',)),
    Case("split-json-all-wrong-fields", lambda t: ["data", "build", str(_json(
         t, [{"foo": 1}, {"bar": 2}])), "--out", _out(t)], 1,
         ("no usable document", "lacks field")),
    Case("missing-input-exits-1", lambda t: ["data", "build", str(t / "nope.pubtator"),
         "--out", _out(t)], 1, ("does not exist",)),
    Case("missing-eval-target-exits-1", lambda t: ["eval", str(t / "nope")], 1,
         ("does not exist",)),
    Case("pickled-backbone-refused", lambda t: ["predict", str(pickled_backbone_run(t)),
         str(pubtator(t, name="in.pubtator")), "--out", str(t / "p.pubtator"),
         "--no-progress"], 1, ("pickle", "e335"), model=True),
    # ---- item 4: silent wrong results ------------------------------------------------------
    Case("cv-missing-fold", lambda t: ["eval", str(_cv_without_fold_1(t)), "--bootstrap", "0"],
         1, ("fold_1", "missing", "--allow-missing-folds")),
    Case("cv-missing-fold-allowed", lambda t: ["eval", str(_cv_without_fold_1(t)),
         "--bootstrap", "0", "--allow-missing-folds"], 0, ("fold_1",),
         may_write=("cv/eval.json",)),
    Case("run-without-complete", lambda t: ["eval", str(_run(t, complete=False)),
         "--bootstrap", "0"], 0, ("unfinished", "complete"), may_write=("run/eval.json",)),
    Case("run-unknown-format-version", lambda t: ["eval", str(_run(t, version=99)),
         "--bootstrap", "0"], 1, ("format_version 99", "e616")),
    Case("litcoin-entities-header-lacks-column", lambda t: ["data", "build", str(litcoin(
         t, entities_header="id\tabstract_id\toffset_start\ttype\tmention\tentity_ids")),
         "--out", _out(t)], 1, ("entities_train.csv:1", "offset_finish")),
    Case("pubtator-cut-mid-line", lambda t: ["data", "build", str(pubtator(
         t, DOC.rstrip("\n")[:-8])), "--out", _out(t), "--folds", "1"], 0,
         ("truncated", "c.pubtator:7"), may_write=("out", "out/*")),
    Case("split-files-read-as-corpus", lambda t: ["data", "build", *map(str, relx_split_files(
         t)), "--out", _out(t), "--folds", "2"], 0, ("pair files, not a corpus", "lost"),
         may_write=("built", "built/*", "out", "out/*")),
    Case("one-doc-zero-pairs", lambda t: ["data", "build", str(pubtator(t, DOC.replace(
         "\tGeneOrGeneProduct\t5742", "\tChemicalEntity\tD001").replace("11\tBind\tD001\t5742"
         "\tNovel\n", ""))), "--out", _out(t), "--folds", "1"], 1, ("0 candidate pairs",)),
    # ---- item 5: clobbering -----------------------------------------------------------------
    Case("predict-out-is-input", lambda t: ["predict", str(fake_model_run(t)), str(pubtator(t)),
         "--out", str(t / "c.pubtator")], 1, ("is also an input", "e613")),
    Case("eval-out-is-predictions", lambda t: ["eval", str(_predictions(t)), "--out",
         str(t / "p.jsonl"), "--bootstrap", "0"], 1, ("is also an input",)),
    Case("train-out-foreign-dir", lambda t: ["train", "quickstart/minilm", "--out",
         str(foreign_dir(t))], 1, ("relx did not write", "notes.txt", "--force")),
    Case("cv-out-foreign-dir", lambda t: ["cv", "quickstart/minilm", "--out",
         str(foreign_dir(t))], 1, ("relx did not write", "--force")),
    Case("build-out-users-split", lambda t: ["data", "build", str(pubtator(t)), "--out",
         str(foreign_dir(t, file="split_0.json"))], 1, ("split_0.json", "--force")),
    Case("build-out-users-manifest", lambda t: ["data", "build", str(pubtator(t)), "--out",
         str(foreign_dir(t, file="manifest.json"))], 1, ("manifest.json", "--force")),
    # ---- item 1: a run directory never runs code -------------------------------------------
    Case("trapped-run-predict", lambda t: ["predict", str(booby_trapped_run(t)), str(pubtator(
         t, name="in.pubtator")), "--out", str(t / "p.pubtator"), "--no-progress"], 0,
         ("asks to run its own python code", "not run", "--trust-remote-code"),
         may_write=("p.pubtator",), model=True),
    Case("trapped-run-eval-data", lambda t: ["eval", str(booby_trapped_run(t)), "--data",
         str(pubtator(t, name="in.pubtator")), "--bootstrap", "0"], 0,
         ("asks to run its own python code", "--trust-remote-code"),
         may_write=("run/eval.json", "run/in.predictions.jsonl"), model=True),
]


# --------------------------------------------------------------------------- row helpers


def _file(tmp: Path, name: str) -> Path:
    (tmp / name).write_text("a file, not a folder\n")
    return tmp / name


def _dangling(tmp: Path) -> Path:
    link = tmp / "link"
    link.symlink_to(tmp / "gone")
    return link


def _binary(tmp: Path) -> Path:
    (tmp / "blob.bin").write_bytes(bytes(range(256)) * 8)
    return tmp / "blob.bin"


def _utf16(tmp: Path) -> Path:
    (tmp / "u16.pubtator").write_bytes(codecs.BOM_UTF16_LE + DOC.encode("utf-16-le"))
    return tmp / "u16.pubtator"


def _json(tmp: Path, obj: object) -> Path:
    (tmp / "s.json").write_text(json.dumps(obj))
    return tmp / "s.json"


def _latin1_xml(tmp: Path) -> Path:
    xml = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<collection><source>x</source>'
           '<date>d</date><key>k</key><document><id>11</id><passage><infon key="type">title'
           '</infon><offset>0</offset><text>Caf\u00e9 aspirin binds COX1.</text></passage>'
           '</document></collection>\n')
    (tmp / "c.xml").write_bytes(xml.encode("latin-1"))
    return tmp / "c.xml"


def _predictions(tmp: Path) -> Path:
    write_predictions(tmp / "p.jsonl", fake_predictions(0, n_docs=3, per_doc=4))
    return tmp / "p.jsonl"


def _latin1_predictions(tmp: Path) -> Path:
    path = _predictions(tmp)
    path.write_bytes(path.read_bytes().replace(b'"D0"', '"D\u00e9"'.encode("latin-1"), 1))
    return path


def _cv_without_fold_1(tmp: Path) -> Path:
    cv = make_cv_dir(tmp / "cv", k=3)
    (cv / rundir.CV_FILE).write_text(json.dumps({"n_splits": 3, "folds": [0, 1, 2]}))
    shutil.rmtree(cv / "fold_1")
    return cv


def _run(tmp: Path, *, complete: bool = True, version: int = 1) -> Path:
    run = make_run_dir(tmp / "run")
    (run / rundir.RUN_FILE).write_text(json.dumps({"format_version": version,
                                                   "status": "complete"}))
    if not complete:
        (run / rundir.COMPLETE_MARKER).unlink()
    return run


# --------------------------------------------------------------------------- the runner


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink() or not path.is_file():
            out[rel] = "<dir>" if path.is_dir() else "<link>"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_relx(argv: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``relx ARGV`` through the real entry point; returns (exit code, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["relx", *argv])
    monkeypatch.setenv("COLUMNS", "400")
    code = 0
    try:
        main()
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    if case.model:
        TINY["run"] = request.getfixturevalue("tiny_run")
    work = tmp_path / "w"
    work.mkdir()
    argv = case.setup(work)
    before = _snapshot(work)
    code, output = run_relx(argv, monkeypatch, capsys)
    text = " ".join(output.split()).lower()
    assert code == case.code, output
    assert "traceback" not in text, output
    for word in case.words:
        assert word.lower() in text, f"{word!r} not in: {output}"
    for word in case.absent:
        assert word.lower() not in text, f"{word!r} in: {output}"
    after = _snapshot(work)
    changed = {k for k in before if after.get(k) != before[k]}
    created = {k for k in after if k not in before}
    allowed = {str(p.relative_to(work)) for pattern in case.may_write for p in work.glob(pattern)}
    assert not changed - allowed, f"changed: {sorted(changed - allowed)}"
    assert not created - allowed, f"created: {sorted(created - allowed)}"
    assert not (tmp_path / "PWNED").exists(), "code or a pickle shipped in the input ran"


def test_every_row_has_a_unique_id() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

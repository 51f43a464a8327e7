"""``relx data build|check|stats|synth`` through the real CLI (typer's CliRunner)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relx.cli import app, main
from relx.errors import DataError

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "corpus.txt"
    code, out = _run("data", "synth", "--out", str(path), "--docs", "30", "--seed", "1")
    assert code == 0 and "wrote 30 documents" in out
    return path


def test_cli_data_help_lists_commands_with_examples() -> None:
    code, out = _run("data", "--help")
    assert code == 0
    for command in ("build", "check", "stats", "synth"):
        assert command in out
        code, sub = _run("data", command, "--help")
        assert code == 0 and "Example: relx data" in sub


def test_cli_data_build_then_check(corpus: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "folds"
    code, out = _run("data", "build", str(corpus), "--out", str(out_dir), "--folds", "3")
    assert code == 0, out
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "manifest.json", "pmid_to_fold.json", "split_0.json", "split_1.json", "split_2.json"]
    code, out = _run("data", "check", str(out_dir))
    assert code == 0 and "✔ no document in two splits (30 documents)" in out
    # Tamper: move one document's pairs into a second split -> ✘ and exit 1.
    s0 = json.loads((out_dir / "split_0.json").read_text())
    s1 = json.loads((out_dir / "split_1.json").read_text())
    (out_dir / "split_1.json").write_text(json.dumps(s1 + s0[:1]))
    code, out = _run("data", "check", str(out_dir))
    assert code == 1 and "✘" in out and "in more than one split" in out


def test_cli_data_build_json_and_document_context(corpus: Path, tmp_path: Path) -> None:
    code, out = _run("data", "build", str(corpus), "--out", str(tmp_path), "--folds", "1",
                     "--context", "document", "--json")
    assert code == 0
    manifest = json.loads(out)
    assert manifest["options"]["context"] == "document"
    assert manifest["counts"]["documents"] == 30


def test_cli_data_build_reports_problems_and_strict_fails(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    text = corpus.read_text().splitlines()
    # Break one mention's offsets: the text at the span no longer matches (E103).
    parts = text[2].split("\t")
    parts[1], parts[2] = str(int(parts[1]) + 1), str(int(parts[2]) + 1)
    text[2] = "\t".join(parts)
    bad.write_text("\n".join(text) + "\n")
    result = runner.invoke(app, ["data", "build", str(bad), "--out", str(tmp_path / "a")])
    assert result.exit_code == 0
    assert "E103" in result.output and "reported and skipped" in result.output
    assert f"{bad}:3" in result.output
    result = runner.invoke(app, ["data", "build", str(bad), "--out", str(tmp_path / "b"),
                                 "--strict"])
    assert isinstance(result.exception, DataError) and result.exception.code == "E103"
    assert not (tmp_path / "b").exists()


def test_cli_data_user_error_is_one_line_and_exit_1(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fold_file = tmp_path / "f.json"
    fold_file.write_text('{"1": 9}')
    monkeypatch.setattr(sys, "argv", ["relx", "data", "build", str(corpus), "--out",
                                      str(tmp_path / "o"), "--fold-file", str(fold_file)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "[E115]" in err
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_cli_data_stats_table_json_and_compare(corpus: Path, tmp_path: Path) -> None:
    code, out = _run("data", "stats", str(corpus))
    assert code == 0 and "NOT share" in out and "Gene+Org" in out
    code, out = _run("data", "stats", str(corpus), "--json")
    stats = json.loads(out)
    assert stats["documents"] == 30 and stats["lengths"] is None
    _run("data", "build", str(corpus), "--out", str(tmp_path / "f"))
    code, out = _run("data", "stats", str(corpus), "--compare", str(tmp_path / "f"), "--json")
    cmp = json.loads(out)
    assert code == 0 and cmp["overlap"]["documents_by_id"] == 30
    assert cmp["a"]["pairs"] == cmp["b"]["pairs"]


def test_cli_reordered_split_warns_in_one_plain_line(corpus: Path, tmp_path: Path) -> None:
    """A split file with gold pairs later concept first (another pipeline's): the command says
    so once, as ``warning ...``, not as Python's ``module.py:N: RelxWarning`` plus source."""
    import subprocess

    code, out = _run("data", "build", str(corpus), "--out", str(tmp_path / "folds"), "--folds", "1")
    assert code == 0, out
    entries = json.loads((tmp_path / "folds" / "split_0.json").read_text())
    flipped = 0
    for entry in entries:
        if entry["type"] != "NOT" and min(s for s, *_ in entry["entity_b"]) > min(
                s for s, *_ in entry["entity_a"]):
            entry["entity_a_id"], entry["entity_b_id"] = entry["entity_b_id"], entry["entity_a_id"]
            entry["entity_a"], entry["entity_b"] = entry["entity_b"], entry["entity_a"]
            flipped += 1
    assert flipped > 0
    theirs = tmp_path / "theirs.json"
    theirs.write_text(json.dumps(entries))
    done = subprocess.run([sys.executable, "-c", "from relx.cli import main; main()", "data",
                           "stats", str(theirs)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "mention order" in line]
    assert len(lines) == 1 and lines[0].startswith("warning "), done.stderr
    assert f"{flipped} of " in lines[0] and "0 of " in lines[0] and "RelxWarning" not in done.stderr

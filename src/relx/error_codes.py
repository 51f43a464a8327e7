"""The catalog of relx error codes: every code, its one meaning, and the error class it comes in.

A :class:`~relx.errors.RelxError` carries a stable ``code`` (``E101``) that a user can search
for, a test can assert and an issue can cite. This module is the one place that says what
each code means; ``tests/test_error_catalog.py`` checks that codes are unique here and that
every code raised anywhere in ``src/relx`` is listed, and that ``docs/errors.md`` is the
rendering of this catalog (``relx errors`` prints it; ``python -m relx.error_codes`` writes
the Markdown). A new error: pick the next free code of its stage's range, add it here, raise
it with ``code=``.

Ranges: E0xx generic/CLI, E1xx data, E2xx representation, E3xx models, E4xx config and
training, E5xx evaluation and predictions, E6xx run directories, E7xx diagnosis.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

__all__ = ["ErrorCode", "CATALOG", "RANGES", "lookup", "render_markdown"]


@dataclass(frozen=True)
class ErrorCode:
    """One code of the catalog.

    Attributes:
        code: ``E`` and three digits; the first digit is the stage (:data:`RANGES`).
        error: The :mod:`relx.errors` class it is raised as (``ProblemLog`` for problems a
            reader reports and skips; strict mode raises them as ``DataError``).
        meaning: What went wrong, in one sentence; the message adds the where and the fix.
    """

    code: str
    error: str
    meaning: str


#: First digit of a code -> the stage it belongs to.
RANGES: dict[str, str] = {
    "0": "generic and command line",
    "1": "data (relx.data: corpus readers, pairs, folds, statistics)",
    "2": "representation (relx.represent: markers, prompt, encoding, batching)",
    "3": "models (relx.models: building, loading, saving, the type-pair mask)",
    "4": "configuration and training (relx.train: config, cv, sweep, launch)",
    "5": "evaluation and predictions (relx.evaluate)",
    "6": "run directories (relx train / eval / predict targets)",
    "7": "diagnosis (relx doctor, relx diff)",
}

_C = ErrorCode

CATALOG: tuple[ErrorCode, ...] = (
    # E0xx generic
    _C("E000", "RelxError", "A user error raised without a specific code (the RelxError default)."),
    # E1xx data
    _C("E100", "DataError", "An input-file problem raised without a specific code (the "
       "DataError default)."),
    _C("E101", "ProblemLog", "A line, row or entry of an input file is malformed (wrong number "
       "of columns, a missing field, a value of the wrong kind); the record is skipped."),
    _C("E102", "ProblemLog", "A mention's or span's character offsets fall outside its text."),
    _C("E103", "ProblemLog", "A mention's text differs from the document text at its offsets."),
    _C("E104", "ProblemLog", "Unknown entity type (not one of relx.labels.ENTITY_TYPES)."),
    _C("E105", "ProblemLog", "Unknown relation type or pair label (not one of "
       "relx.labels.ALL_LABELS)."),
    _C("E106", "ProblemLog", "A relation names a concept that no mention of its document "
       "carries."),
    _C("E107", "ProblemLog", "A relation links a concept with itself."),
    _C("E108", "ProblemLog", "A document id occurs twice; the first copy is kept."),
    _C("E109", "DataError", "An input file or folder is missing, unreadable or not in a "
       "recognised corpus format."),
    _C("E110", "ProblemLog", "A well-formed record does not fit the rest of its corpus (the "
       "data catalog's catch-all: passage offsets, a second relation for one pair, a record "
       "of an unknown document, a concept typed two ways, a span that cannot be placed); the "
       "message says whether it was kept or skipped."),
    _C("E111", "ConfigError", "Unknown pair context (build_pairs, --context)."),
    _C("E112", "ConfigError", "Unknown sentence splitter."),
    _C("E113", "ConfigError", "The synthetic corpus size is not a positive integer."),
    _C("E114", "ConfigError", "Invalid fold count: not a positive integer, or more folds than "
       "usable documents."),
    _C("E115", "DataError", "The fold file (--fold-file) is missing, malformed, out of range "
       "or does not cover every document."),
    _C("E116", "DataError", "The folds directory does not exist."),
    _C("E117", "DataError", "The tokenizer for token-length statistics cannot be loaded "
       "(missing path, no tokenizer files)."),
    _C("E118", "DataError", "format= (--format) names no corpus format relx reads."),
    _C("E119", "DataError", "Nothing to build folds from: no corpus given, or no usable "
       "document in it."),
    _C("E120", "DataError", "Pairs were lost: 0 pairs built, or split files read back as a "
       "corpus gave fewer pairs than they hold."),
    # E2xx representation
    _C("E201", "ConfigError", "Unknown marker style (represent.style)."),
    _C("E202", "DataError", "An example has no span of entity A or B inside its text."),
    _C("E203", "ConfigError", "The instruction prompt or chat template cannot be applied "
       "(chat_template without prompt, no template, a template that fails or alters the "
       "message)."),
    _C("E204", "ConfigError", "Invalid encoding settings (a slow tokenizer, max_length_tokens "
       "below 8, an unknown truncation)."),
    _C("E205", "ConfigError", "max_length_tokens leaves no room for the text: the prompt, "
       "tail and special tokens alone are longer."),
    _C("E206", "ConfigError", "Encoding labels are not distinct, or an example's label is not "
       "among them."),
    _C("E207", "ConfigError", "Invalid batching arguments (pad token, pool, padding side, an "
       "empty batch, a token budget below the longest example)."),
    # E3xx models
    _C("E301", "ConfigError", "Unknown fine-tuning method, or LoRA settings out of range."),
    _C("E302", "ConfigError", "Unknown head, or a head that does not fit the backbone kind."),
    _C("E303", "ModelError", "The backbone is neither an encoder nor a decoder relx can build."),
    _C("E304", "ModelError", "method='qlora' without its 4-bit dependencies."),
    _C("E305", "ModelError", "The backbone, its config, its tokenizer or its GGUF file cannot "
       "be loaded (or the base a saved adapter needs is gone)."),
    _C("E306", "ModelError", "The tokenizer has no pad, eos or unk token to pad batches with."),
    _C("E308", "ConfigError", "Classifier labels are fewer than two or not distinct."),
    _C("E309", "ConfigError", "LoRA target_modules name no linear layers of the backbone."),
    _C("E311", "ConfigError", "Unknown dtype."),
    _C("E312", "ModelError", "A batch lacks a key the model needs (input_ids; pool_index of a "
       "packed batch; entity_index of the entity_start head)."),
    _C("E313", "ModelError", "Packed batches for an encoder whose attention implementation "
       "is neither sdpa nor eager."),
    _C("E320", "ConfigError", "A type-pair mask is built with labels that do not match the "
       "examples."),
    _C("E321", "ModelError", "A type-pair mask is applied to logits or type pairs of the wrong "
       "shape."),
    _C("E322", "ModelError", "A type-pair mask file is newer than this relx or malformed."),
    _C("E330", "ModelError", "A model directory without relx_model.json."),
    _C("E331", "ModelError", "relx_model.json is newer than this relx or malformed."),
    _C("E332", "ModelError", "A classifier is saved without its tokenizer."),
    _C("E333", "ModelError", "The base model's vocabulary differs from the one the model was "
       "trained on."),
    # E4xx configuration and training
    _C("E334", "ModelError", "The checkpoint needs its own Python code to load and "
       "--trust-remote-code was not given."),
    _C("E335", "ModelError", "A backbone's weights are pickles (pytorch_model.bin...): refused, "
       "relx loads safetensors only."),
    _C("E336", "ModelError", "A fold ensemble without folds, or whose folds differ in labels or "
       "representation."),
    _C("E401", "ConfigError", "Invalid config value(s): wrong type, out of range or an unknown "
       "key."),
    _C("E402", "ConfigError", "The config file is not valid YAML or not a mapping of sections."),
    _C("E403", "ConfigError", "A malformed --set override (no '=' or an empty key)."),
    _C("E404", "ConfigError", "An inconsistent data section, or no model or data source."),
    _C("E405", "ConfigError", "The config file does not exist."),
    _C("E406", "ConfigError", "The training or validation set is empty."),
    _C("E407", "RunDirError", "A checkpoint cannot be resumed: its parameters or its data "
       "differ from the run's."),
    _C("E408", "ConfigError", "Unknown preset name."),
    _C("E409", "ConfigError", "A preset's pkg: path cannot be resolved (package not installed "
       "or the path missing inside it)."),
    _C("E410", "ConfigError", "--gpus is not a list of GPU indices."),
    _C("E411", "ConfigError", "--processes does not fit the GPUs (below 1, more processes than "
       "GPUs, a repeated index)."),
    _C("E412", "ConfigError", "relx cv needs data.split_files or data.corpus_files, consistent "
       "with cv.n_splits."),
    _C("E413", "ConfigError", "--folds: not fold numbers, out of range or repeated."),
    _C("E414", "ConfigError", "Gold labels outside data.labels."),
    _C("E415", "ConfigError", "Unknown task name (config key task; relx.tasks)."),
    _C("E416", "ConfigError", "data.labels the task cannot use (relation: NOT first, each label "
       "once)."),
    _C("E420", "ConfigError", "A malformed sweep --grid."),
    _C("E421", "ConfigError", "Some sweep points give an invalid config."),
    _C("E422", "ConfigError", "Unknown sweep --mode."),
    # E5xx evaluation and predictions
    _C("E501", "DataError", "A predictions line is not valid JSON."),
    _C("E502", "DataError", "A predictions field is missing or of the wrong type."),
    _C("E503", "DataError", "A prediction names an unknown label."),
    _C("E504", "DataError", "A prediction id occurs twice."),
    _C("E505", "DataError", "No predictions: the file is empty, or nothing is given to score."),
    _C("E506", "DataError", "Predictions without gold labels cannot be scored."),
    _C("E507", "DataError", "Two prediction sets do not cover the same pairs with the same "
       "gold labels."),
    _C("E508", "ConfigError", "An invalid prediction option (--device, batch size, --format, "
       "--threshold)."),
    _C("E509", "DataError", "The predictions file does not exist."),
    _C("E510", "ConfigError", "--shard is not K/N with 0 <= K < N, or RANK/WORLD_SIZE are not "
       "a launcher's integers."),
    # E6xx run directories
    _C("E601", "RunDirError", "The path does not exist or is not a relx run directory (no "
       "run.json)."),
    _C("E602", "RunDirError", "The path is none of the targets relx eval takes (run, CV "
       "directory, checkpoint, predictions file)."),
    _C("E603", "RunDirError", "No saved validation predictions in the run (or in any fold)."),
    _C("E604", "RunDirError", "The target's kind does not fit the request (--data with a CV "
       "directory or a predictions file; a checkpoint without --data)."),
    _C("E605", "RunDirError", "A CV directory without fold directories."),
    _C("E606", "RunDirError", "A report needs a run or CV directory."),
    _C("E607", "RunDirError", "No model to predict with (unfinished run, CV directory, wrong "
       "path)."),
    _C("E608", "RunDirError", "The run has not finished (no summary.json)."),
    _C("E609", "RunDirError", "The output directory already holds a run (and --resume is not "
       "given)."),
    _C("E610", "RunDirError", "Nothing to resume: the run has saved no checkpoint yet."),
    _C("E612", "RunDirError", "Another live process holds the directory's lock (.relx.lock "
       "names its pid)."),
    _C("E613", "RunDirError", "An output path is also an input of the same command."),
    _C("E614", "RunDirError", "An output path is the wrong kind of path (a file where a folder "
       "goes, a folder where a file goes, a dangling symlink)."),
    _C("E615", "RunDirError", "A non-empty folder relx did not write is given as output "
       "(--force to write into it)."),
    _C("E616", "RunDirError", "run.json has a format version this relx does not know."),
    _C("E617", "RunDirError", "Fold directories of a CV directory are missing "
       "(--allow-missing-folds scores the rest)."),
    _C("E618", "RunDirError", "A streaming prediction directory holds the outputs of a "
       "different command (inputs, model, format, threshold, window or shard count), or its "
       "inputs changed since."),
    _C("E619", "RunDirError", "relx predict --merge: a shard is unfinished or a chunk file its "
       "manifest lists is missing."),
    _C("E620", "RunDirError", "Not a streaming prediction directory (no predict.json, or one "
       "of another relx version)."),
    # E7xx diagnosis
    _C("E701", "RunDirError", "relx doctor's target is not a directory."),
    _C("E702", "ConfigError", "The config of a diagnosed run is unreadable (not YAML/JSON, or "
       "not a mapping)."),
    _C("E703", "RunDirError", "The config file given to diagnose does not exist."),
    _C("E704", "RunDirError", "A side of relx diff is not one run directory (a CV directory, or "
       "no config)."),
)

_BY_CODE: dict[str, ErrorCode] = {entry.code: entry for entry in CATALOG}


def lookup(code: str) -> ErrorCode:
    """The catalog entry of ``code`` (``"E101"`` or ``"e101"``).

    Raises:
        KeyError: ``code`` is not in the catalog.
    """
    return _BY_CODE[code.strip().upper()]


def render_markdown() -> str:
    """The catalog as Markdown: the content of ``docs/errors.md``."""
    lines = [
        "# relx error codes",
        "",
        "<!-- Generated from src/relx/error_codes.py by `python -m relx.error_codes > "
        "docs/errors.md`; tests/test_error_catalog.py checks it is current. -->",
        "",
        "Every user error relx raises carries one of these codes: the CLI prints one line, "
        "`error [E101] file:line: message`, then a hint, and exits 1. `relx errors CODE` prints "
        "one entry. `ProblemLog` codes are input problems a reader reports and skips "
        "(with `--strict` the first one is raised as a `DataError`).",
    ]
    for digit, stage in RANGES.items():
        entries = [e for e in CATALOG if e.code[1] == digit]
        lines += ["", f"## E{digit}xx: {stage}", "", "| code | raised as | meaning |",
                  "|---|---|---|"]
        lines += [f"| {e.code} | `{e.error}` | {e.meaning} |" for e in entries]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())

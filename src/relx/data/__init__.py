"""relx.data: corpus files -> :class:`Document` -> :class:`PairExample` (split JSON).

Readers (PubTator, BioC XML/JSON, LitCoin CSV, iKraph split JSON) all produce one document
model; :func:`build_pairs` turns documents into the candidate pairs every later stage
consumes; :func:`build_folds` splits them by document into K folds on disk;
:class:`DocumentStream` reads many (gzipped) files one document at a time;
:func:`corpus_stats` describes a corpus (its token lengths are
``relx.represent.length_stats``: relx.data never imports relx.represent);
:func:`write_synthetic_corpus` writes the built-in default corpus.
"""

from relx.data._bioc import (
    documents_from_bioc,
    documents_to_bioc,
    read_bioc_json,
    read_bioc_xml,
    write_bioc_json,
    write_bioc_xml,
)
from relx.data._document import NO_CONCEPT, Document, Mention, Relation
from relx.data._example import PairExample, Span
from relx.data._folds import (
    FOLD_ASSIGNMENT_FILE,
    MANIFEST_FILE,
    CheckLine,
    FoldsResult,
    assign_document_folds,
    assign_folds,
    build_folds,
    check_folds,
    read_fold_file,
    split_file_name,
)
from relx.data._litcoin import read_litcoin
from relx.data._order import mention_order, swap_entities
from relx.data._pairs import CONTEXTS, abstract_id_of, build_document_pairs, build_pairs
from relx.data._problems import Problem, ProblemLog
from relx.data._pubtator import format_pubtator, parse_pubtator, read_pubtator, write_pubtator
from relx.data._read import FORMATS, detect_format, read_corpus
from relx.data._selection import (
    FoldSelection,
    corpus_splits,
    read_examples,
    select_fold,
    val_split_index,
)
from relx.data._sentences import (
    DEFAULT_SPLITTER,
    SPLITTERS,
    merge_spans_around,
    sentence_spans,
    split_sentences,
)
from relx.data._split import read_split, read_split_documents, write_split
from relx.data._stream import (
    STREAM_FORMATS,
    DocumentStream,
    expand_inputs,
    iter_documents,
    open_corpus_file,
)
from relx.data._stats import (
    compare_stats,
    corpus_stats,
    load_stats_input,
)
from relx.data._synth import (
    DEFAULT_SYNTH_DOCS,
    SYNTH_TRIGGERS,
    synthesize_documents,
    write_synthetic_corpus,
)
from relx.data._validate import check_document, check_mention, check_relation

__all__ = [
    # document model and problems
    "NO_CONCEPT",
    "Document",
    "Mention",
    "Relation",
    "Problem",
    "ProblemLog",
    # readers and writers
    "FORMATS",
    "detect_format",
    "read_corpus",
    "read_pubtator",
    "parse_pubtator",
    "write_pubtator",
    "format_pubtator",
    "read_bioc_xml",
    "read_bioc_json",
    "write_bioc_xml",
    "write_bioc_json",
    "documents_from_bioc",
    "documents_to_bioc",
    "read_litcoin",
    "read_split",
    "write_split",
    "read_split_documents",
    # streaming input (many files, gzip, incremental BioC)
    "STREAM_FORMATS",
    "DocumentStream",
    "iter_documents",
    "expand_inputs",
    "open_corpus_file",
    "check_document",
    "check_mention",
    "check_relation",
    # pairs
    "PairExample",
    "Span",
    "CONTEXTS",
    "abstract_id_of",
    "build_pairs",
    "build_document_pairs",
    "mention_order",
    "swap_entities",
    "SPLITTERS",
    "DEFAULT_SPLITTER",
    "split_sentences",
    "sentence_spans",
    "merge_spans_around",
    # folds
    "MANIFEST_FILE",
    "FOLD_ASSIGNMENT_FILE",
    "split_file_name",
    "assign_folds",
    "assign_document_folds",
    "read_fold_file",
    "build_folds",
    "FoldsResult",
    "check_folds",
    "CheckLine",
    # fold and file selection of a training run
    "FoldSelection",
    "select_fold",
    "read_examples",
    "corpus_splits",
    "val_split_index",
    # statistics
    "load_stats_input",
    "corpus_stats",
    "compare_stats",
    # synthetic corpus
    "DEFAULT_SYNTH_DOCS",
    "SYNTH_TRIGGERS",
    "synthesize_documents",
    "write_synthetic_corpus",
]

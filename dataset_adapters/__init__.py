"""Corpus adapters (IEMOCAP, MSP-Podcast, CREMA-D), protocols and the synthetic-corpus generator."""
from dataset_adapters.types import CorpusError, Fold, LoadReport, Problem, Utterance

__all__ = ["CorpusError", "Fold", "LoadReport", "Problem", "Utterance", "CORPORA", "get_adapter", "corpus_info", "CorpusAdapter"]


def __getattr__(name: str):  # lazy: importing the shared types must not import every adapter
    if name in ("CORPORA", "get_adapter", "corpus_info", "CorpusAdapter"):
        from dataset_adapters import base

        return getattr(base, name)
    raise AttributeError(f"module 'dataset_adapters' has no attribute {name!r}")

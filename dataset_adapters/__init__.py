"""Corpus adapters (IEMOCAP, MSP-Podcast, CREMA-D), protocols and the synthetic-corpus generator."""
from dataset_adapters.types import CorpusError, Fold, LoadReport, Problem, Utterance

__all__ = ["CorpusError", "Fold", "LoadReport", "Problem", "Utterance", "ADAPTERS", "get_adapter", "CorpusAdapter"]


def __getattr__(name: str):  # lazy: importing the shared types must not import every adapter
    if name in ("ADAPTERS", "get_adapter", "CorpusAdapter"):
        from dataset_adapters import base

        return getattr(base, name)
    raise AttributeError(f"module 'dataset_adapters' has no attribute {name!r}")

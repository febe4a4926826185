"""Corpus adapters (IEMOCAP, MSP-Podcast, CREMA-D), protocols and the synthetic-corpus generator."""
from dataset_adapters.base import CORPORA, CorpusAdapter, corpus_info, get_adapter
from dataset_adapters.types import CorpusError, Fold, LoadReport, Problem, Utterance

__all__ = ["CorpusError", "Fold", "LoadReport", "Problem", "Utterance", "CORPORA", "get_adapter", "corpus_info",
           "CorpusAdapter"]

"""Corpus adapters (IEMOCAP, MSP-Podcast, CREMA-D), protocols and the synthetic-corpus generator."""
from dataset_adapters.types import CorpusError, Fold, LoadReport, Problem, Utterance

__all__ = ["CorpusError", "Fold", "LoadReport", "Problem", "Utterance"]

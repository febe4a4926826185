"""`tfidf-lr`: TF-IDF word 1-2-grams of the transcript + logistic regression (scikit-learn).

The cheapest text baseline: how far do the words alone get, with no pre-trained encoder? The
vectoriser and the classifier see the training fold only (the validation fold only picks C), so no
vocabulary or IDF statistic leaks from test transcripts.
"""
from __future__ import annotations

from typing import Any, Sequence

from baselines.clip_lr import LogisticBaseline
from baselines.config import TfidfConfig
from lemer.core.contract import Example, ModelInfo
from lemer.core.tasks import TASKS


def _texts(name: str, examples: Sequence[Example], what: str) -> list[str]:
    """The transcripts of `examples`; a ValueError naming the uids without one (text None), never a crash
    inside scikit-learn: treating them as "" would train and score on text nobody heard."""
    missing = [e.uid for e in examples if e.text is None]
    if missing:
        raise ValueError(f"{name}: {len(missing)} {what} have no transcript (text is None), "
                         f"e.g. {', '.join(missing[:3])}")
    return [e.text for e in examples]


class TfidfLR(LogisticBaseline):
    info = ModelInfo(
        name="tfidf-lr",
        modalities=("text",),
        description="TF-IDF word 1-2-grams of the transcript + logistic regression (C chosen on valid)",
        encoders=(),
        tasks=TASKS,
    )
    config_class = TfidfConfig

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.vectorizer: Any = None

    def _fit_features(self, train: Sequence[Example], valid: Sequence[Example]) -> tuple[Any, Any]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        name = self.info.name
        self.vectorizer = TfidfVectorizer(
            lowercase=True, ngram_range=(1, self.cfg.ngram_max), min_df=self.cfg.min_df,
            sublinear_tf=self.cfg.sublinear_tf, token_pattern=self.cfg.token_pattern,
        )
        train_texts = _texts(name, train, "training example(s)")
        valid_texts = _texts(name, valid, "validation example(s)")
        try:
            x_train = self.vectorizer.fit_transform(train_texts)
        except ValueError as err:  # sklearn: "empty vocabulary"
            raise ValueError(f"{name}: no usable words in the {len(train)} training transcripts ({err})") from err
        x_valid = self.vectorizer.transform(valid_texts) if valid else None
        return x_train, x_valid

    def _transform(self, examples: Sequence[Example]) -> Any:
        return self.vectorizer.transform(_texts(self.info.name, examples, "example(s) to predict"))

    def _describe(self, x_train: Any) -> str:
        return f"vocabulary {len(self.vectorizer.vocabulary_)} terms"

"""`tfidf-lr`: TF-IDF word 1-2-grams of the transcript + logistic regression (scikit-learn).

The cheapest text baseline: how far do the words alone get, with no pre-trained encoder? The
vectoriser and the classifier see the training fold only (the validation fold only picks C), so no
vocabulary or IDF statistic leaks from test transcripts.
"""
from __future__ import annotations

from typing import Any, Sequence

from baselines.common import check_fit_inputs, fit_logistic_regression, predict_logistic_regression
from baselines.config import TfidfConfig
from lemer.interface import Example, FitEnv, Model, ModelInfo, Prediction, Requirements


def _texts(name: str, examples: Sequence[Example], what: str) -> list[str]:
    """The transcripts of `examples`; a ValueError naming the uids without one (text None), never a crash
    inside scikit-learn: treating them as "" would train and score on text nobody heard."""
    missing = [e.uid for e in examples if e.text is None]
    if missing:
        raise ValueError(f"{name}: {len(missing)} {what} have no transcript (text is None), "
                         f"e.g. {', '.join(missing[:3])}")
    return [e.text for e in examples]


class TfidfLR(Model):
    info = ModelInfo(
        name="tfidf-lr",
        modalities=("text",),
        description="TF-IDF word 1-2-grams of the transcript + logistic regression (C chosen on valid)",
        encoders=(),
    )

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = TfidfConfig.from_dict(config)
        self.vectorizer: Any = None
        self.clf: Any = None
        self.C: float | None = None
        self.classes: tuple[str, ...] = ()

    @property
    def requirements(self) -> Requirements:
        return Requirements()  # reads Example.text only; no encoder features

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        name = self.info.name
        check_fit_inputs(name, train, valid, env.classes)
        self.classes = tuple(env.classes)
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
        self.clf, self.C = fit_logistic_regression(
            name, x_train, train, x_valid, valid, self.classes, self.cfg.c_grid, self.cfg.class_weight, env.log
        )
        env.log(f"{name}: vocabulary {len(self.vectorizer.vocabulary_)} terms, C={self.C}")

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        return predict_logistic_regression(self.info.name, self.clf, self.classes, examples,
                                           lambda ex: self.vectorizer.transform(
                                               _texts(self.info.name, ex, "example(s) to predict")))

"""Initial label embeddings, computed from the training fold only.

Semantic (text) label embedding of a class: the mean text-encoder embedding of its top-K keywords.
Keywords come from a TF-IDF vectoriser fitted on the training transcripts only; a word's class-level
score is its mean TF-IDF weight over the class's training utterances minus its mean over the other
training utterances, so words that are merely frequent everywhere ("yeah", "know") do not become
every class's keyword. Function words (`FUNCTION_WORDS`) are removed; sklearn's English stop list is NOT used
because it drops emotion-bearing words ("cry", "alone", "never", "nothing", "no", "please", "serious").
Only words with a positive score are kept.

Tonal (speech) label embedding of a class: the mean of its top-K most emotion-relevant training
frames. The paper does not say how frames are ranked; our leak-free rule is a frame-level probe:
a linear discriminant (Gaussian classes with a shared, Ledoit-Wolf-shrunk covariance: closed form,
deterministic, no convergence issues) trained on training-fold frames, each labelled with its
utterance's label; among the frames of class-c utterances, those with the highest probe posterior
p(c | frame) are the most class-typical, and the top K are averaged. (A logistic-regression probe
ranks the same way on our data but costs 3-80x more on a busy CPU.) Validation and
test data never reach either function (the model calls them with its `train` examples only).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.feature_extraction.text import TfidfVectorizer

TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"  # words of >= 2 letters; no numbers or tags' brackets
# Articles, pronouns, prepositions, conjunctions and auxiliaries only: no negations, no content words.
FUNCTION_WORDS = frozenset("""
a an the this that these those it its it's i i'm i've i'd i'll me my mine myself you you're you've you'll you'd your
yours yourself he he's him his himself she she's her hers herself we we're we've our ours ourselves they they're
they've them their theirs themselves what which who whom whose where when how why there here
is am are was were be been being do does did doing have has had having will would shall should can could may might must
and or but if then so because as of at by for with about against between into through during before after above below
to from up down in out on off over under again further once than too very just also s t d ll m re ve
""".split())


@dataclass
class LabelInit:
    """Initial values (C, d) of one modality's label embeddings; rows of `missing` classes are random (logged)."""

    vectors: np.ndarray
    evidence: dict[str, list[str]] = field(default_factory=dict)  # class -> keywords, or frame provenance
    missing: list[str] = field(default_factory=list)


def class_keywords(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], k: int) -> dict[str, list[str]]:
    """Top-k TF-IDF keywords per class from (training) transcripts; a class may get fewer (even 0) words."""
    if len(texts) != len(labels):
        raise ValueError(f"class_keywords: {len(texts)} texts but {len(labels)} labels")
    out: dict[str, list[str]] = {c: [] for c in classes}
    if not any(t.strip() for t in texts):
        return out
    vec = TfidfVectorizer(lowercase=True, stop_words=sorted(FUNCTION_WORDS), token_pattern=TOKEN_PATTERN, sublinear_tf=True)
    try:
        x = vec.fit_transform(list(texts))
    except ValueError:  # empty vocabulary: only stop words / no words at all
        return out
    vocab = np.array(vec.get_feature_names_out())
    y = np.asarray(labels)
    for c in classes:
        inside = y == c
        if not inside.any():
            continue
        mean_in = np.asarray(x[inside].mean(axis=0)).ravel()
        mean_out = np.asarray(x[~inside].mean(axis=0)).ravel() if (~inside).any() else np.zeros_like(mean_in)
        score = mean_in - mean_out
        order = np.lexsort((vocab, -score))  # by score, ties broken alphabetically: deterministic
        out[c] = [str(vocab[i]) for i in order[:k] if score[i] > 0]
    return out


def semantic_init(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], k: int,
                  embed_words: Callable[[Sequence[str]], np.ndarray]) -> LabelInit:
    """Mean embedding of each class's top-k keywords; classes without keywords are reported as missing."""
    keywords = class_keywords(texts, labels, classes, k)
    rows: list[np.ndarray | None] = []
    for c in classes:
        words = keywords[c]
        if not words:
            rows.append(None)
            continue
        emb = np.asarray(embed_words(words), dtype=np.float32)
        if emb.ndim != 2 or len(emb) != len(words):
            raise ValueError(f"embed_words returned shape {emb.shape} for {len(words)} words")
        rows.append(emb.mean(0))
    return _assemble(rows, classes, keywords)


def frame_probe_scores(frames: Sequence[np.ndarray], labels: Sequence[str], classes: Sequence[str],
                       per_utt: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample up to `per_utt` frames per training utterance, fit the probe, return (frames, labels, own-class posterior)."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(classes)}
    xs, ys = [], []
    for f, lab in zip(frames, labels):
        if len(f) == 0:
            continue
        pick = np.sort(rng.choice(len(f), size=min(per_utt, len(f)), replace=False))
        xs.append(np.asarray(f, dtype=np.float32)[pick])
        ys.append(np.full(len(pick), index[lab]))
    if not xs:
        return np.zeros((0, 0), np.float32), np.zeros(0, int), np.zeros(0)
    x, y = np.concatenate(xs), np.concatenate(ys)
    present = np.unique(y)
    if len(present) < 2:  # a probe needs two classes; every frame is then equally typical of its class
        return x, y, np.ones(len(y))
    probe = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x.astype(np.float64), y)
    post = probe.predict_proba(x.astype(np.float64))
    col = {int(c): j for j, c in enumerate(probe.classes_)}
    own = post[np.arange(len(y)), [col[int(v)] for v in y]]
    return x, y, own


def tonal_init(frames: Sequence[np.ndarray], labels: Sequence[str], classes: Sequence[str], k: int,
               per_utt: int, seed: int) -> LabelInit:
    """Mean of each class's top-k training frames by the frame probe's posterior for that class."""
    x, y, own = frame_probe_scores(frames, labels, classes, per_utt, seed)
    rows: list[np.ndarray | None] = []
    evidence: dict[str, list[str]] = {}
    for i, c in enumerate(classes):
        idx = np.flatnonzero(y == i)
        if len(idx) == 0:
            rows.append(None)
            continue
        top = idx[np.argsort(-own[idx], kind="stable")[:k]]
        rows.append(x[top].mean(0))
        evidence[c] = [f"{len(top)} frames, mean p(class|frame)={own[top].mean():.3f}"]
    return _assemble(rows, classes, evidence)


def _assemble(rows: list[np.ndarray | None], classes: Sequence[str], evidence: dict[str, list[str]]) -> LabelInit:
    """Stack class rows; missing classes get zeros here and are flagged so the caller initialises them randomly."""
    dim = next((len(r) for r in rows if r is not None), 0)
    vectors = np.zeros((len(classes), dim), dtype=np.float32)
    missing = []
    for i, (c, r) in enumerate(zip(classes, rows)):
        if r is None:
            missing.append(c)
        else:
            vectors[i] = r
    return LabelInit(vectors=vectors, evidence=evidence, missing=missing)


def fill_missing(init: LabelInit, dim: int, kind: str, classes: Sequence[str], seed: int,
                 log: Callable[[str], None]) -> np.ndarray:
    """`init`'s vectors with seeded random rows for classes without keywords/frames in the training fold
    (logged, never silent); all rows random when `init` has another width than `dim`."""
    vectors = init.vectors if init.vectors.shape[1] == dim else np.zeros((len(classes), dim), np.float32)
    if init.missing:
        log(f"LE-MER: no {kind} evidence for {init.missing} in the training fold: random init for those")
        rng = np.random.default_rng(seed)
        for c in init.missing:
            vectors[list(classes).index(c)] = rng.standard_normal(dim).astype(np.float32)
    return vectors

"""`lemer-bench score | compare | leaderboard`: also usable on users' own prediction files.

Errors in the input (bad files, different test sets, an output folder the leaderboard does not own)
print one clear message naming the file to stderr and return exit code 2; a write the file system
refuses (no space, read-only) prints one line naming the path and returns 1. Results go to stdout
as readable tables (`score`, `compare`; `--json` prints one JSON object instead) or, with
`leaderboard --print`, as the headline table.

`score` and `compare` take a prediction file or a run folder holding one. The label set is
`--labels`, else the `labels` of the result.json beside the file, else the gold labels; a gold or
predicted label outside it is an error naming the file and line (it would change UA and macro-F1).
`--folds FILE` (what `lemer-bench data folds` writes) checks that the file tests exactly the test uids of
the protocol's folds (`--fold NAME`: one of them) and makes each fold a stratum of the resampling.

`compare` gives both readings of A - B: "this test set" (utterances resampled, today's paired tests) and
"new speakers" (speakers resampled within folds, sign flips over speakers: leaderboard/clusters.py). Speakers
come from `--speakers FILE` (uid,speaker[,gender]) or from the uids where the corpus prefix says
(`iemocap:Ses01F_impro01_F000` -> Ses01_F; CREMA-D's actor; leaderboard/speakers.py); without either the
speaker reading says why it is unavailable instead of printing a number.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from leaderboard.build import build_leaderboard
from leaderboard.clusters import PairedInference, compare_readings
from leaderboard.folds_file import check_uids, read_folds_file
from leaderboard.metrics import Scores, score_labels
from leaderboard.references import load_references
from leaderboard.results import Predictions, ResultError, align, read_predictions
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from leaderboard.significance import DEFAULT_RESAMPLES, METRICS, TESTS, Comparison, compare, seed_mean_correct
from leaderboard.speakers import read_speakers_file, resolve_speakers
from leaderboard.tables import headline_text
from lemer.core.options import integer


def _predictions_path(arg: str) -> Path:
    """A prediction file, or a run folder holding one; any other folder is refused by name."""
    path = Path(arg)
    if path.is_dir():
        inside = path / PREDICTIONS_FILE
        if inside.is_file():
            return inside
        raise ResultError(f"{arg}: is a folder, not a prediction file (and holds no {PREDICTIONS_FILE}); "
                          f"give one run's {PREDICTIONS_FILE}, or use `lemer-bench leaderboard {arg} --out DIR` "
                          "for a whole runs folder")
    return path


def _read(arg: str) -> Predictions:
    path = _predictions_path(arg)
    try:
        return read_predictions(path)
    except OSError as e:  # unreadable, a folder in disguise, an I/O error: name it, no traceback
        raise ResultError(f"{arg}: cannot read ({e.strerror or type(e).__name__})") from None


def _result_labels(pred_file: Path) -> tuple[list[str], str] | None:
    """The label set of the run that wrote `pred_file`, from the result.json beside it (None if there is none)."""
    result = pred_file.parent / RESULT_FILE
    if pred_file.name != PREDICTIONS_FILE or not result.is_file():
        return None
    try:
        labels = json.loads(result.read_text(encoding="utf-8")).get("labels")
    except (OSError, ValueError, AttributeError) as e:
        raise ResultError(f"{result}: cannot read its label set ({e})") from None
    if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
        raise ResultError(f"{result}: 'labels' must be a non-empty list of strings")
    return list(labels), str(result)


def _label_set(args: argparse.Namespace, files: Sequence[Predictions]) -> tuple[list[str], str]:
    """The label set to score with, and where it came from.

    Metrics depend on the label set (a class nobody predicted still counts in macro-F1 and UA), so
    it is never guessed from the predictions: `--labels`, else the result.json beside the file,
    else the gold labels. Any gold or predicted label outside it is an error naming file and line.
    """
    if args.labels:
        labels = [x.strip() for x in args.labels.split(",") if x.strip()]
        if not labels or len(set(labels)) != len(labels):
            raise ResultError(f"--labels {args.labels!r}: expected distinct comma-separated names")
        source = "--labels"
    else:
        found = [r for r in (_result_labels(Path(f.path)) for f in files) if r is not None]
        if any(set(r[0]) != set(found[0][0]) for r in found[1:]):
            raise ResultError(f"{found[0][1]} and {found[1][1]} have different label sets "
                              f"({found[0][0]} vs {found[1][0]}); pass the one to use with --labels")
        if found:
            labels, source = found[0][0], found[0][1]
        else:
            labels, source = sorted({g for f in files for g in f.gold}), "the gold labels"
    allowed = set(labels)
    for f in files:
        for column, values in (("gold", f.gold), ("pred", f.pred)):
            for i, v in enumerate(values):
                if v not in allowed:
                    hint = ("; pass the full label set with --labels A,B,..." if source == "the gold labels"
                            else "")
                    raise ResultError(f"{f.path}:{_line_of(f.path, i)}: {column} label {v!r} is not in the label "
                                      f"set {labels} (from {source}){hint}")
    return labels, source


def _line_of(path: str, index: int) -> int:
    """1-based line number of the `index`-th non-blank line (read_predictions skips blank lines)."""
    with open(path, encoding="utf-8") as f:
        seen = -1
        for lineno, line in enumerate(f, 1):
            if line.strip():
                seen += 1
                if seen == index:
                    return lineno
    return index + 1


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def score_table(p: Predictions, s: Scores, source: str) -> str:
    from tabulate import tabulate

    head = f"{p.path}: {s.n} utterances, {len(s.labels)} classes (label set from {source})"
    metrics = tabulate([("WA (accuracy)", _fmt(s.wa)), ("UA (balanced accuracy)", _fmt(s.ua)),
                        ("macro-F1", _fmt(s.macro_f1))], headers=("metric", "value"), disable_numparse=True)
    per_class = tabulate([(c.label, c.n_gold, c.n_predicted, _fmt(c.precision), _fmt(c.recall), _fmt(c.f1))
                          for c in s.classes], headers=("class", "n gold", "n predicted", "precision", "recall", "F1"),
                         disable_numparse=True)
    return (f"{head}\n\n{metrics}\n\n{per_class}\n(precision '-': never predicted; recall '-': not in gold; "
            "macro-F1 = mean of the defined F1 values)")


def speaker_reading_text(r: PairedInference | str) -> str:
    """The "new speakers" lines of `compare`: the speaker bootstrap CI and the sign-flip p, or why there are none."""
    if isinstance(r, str):
        return f"new speakers: unavailable ({r})"
    ci = (f"95% speaker-bootstrap CI {r.ci_speaker[0]:+.4f} to {r.ci_speaker[1]:+.4f}" if r.ci_speaker is not None
          else f"no CI ({r.why_no_ci_speaker})")
    p = (f"p = {r.p_speaker:.4g} ({r.p_speaker_method} sign flips over speakers)" if r.p_speaker is not None
         else f"no p-value ({r.why_no_p_speaker})")
    return f"new speakers ({r.n_speakers} speakers): a - b = {r.diff:+.4f}, {ci}, {p}"


def compare_table(a: Predictions, b: Predictions, res: Comparison, resamples: int, seed: int,
                  speakers: PairedInference | str, strata: str) -> str:
    from tabulate import tabulate

    table = tabulate([("a", a.path, _fmt(res.a)), ("b", b.path, _fmt(res.b))],
                     headers=("model", "file", res.metric.upper()), disable_numparse=True)
    ci = " for the CI " if res.test == "mcnemar" else " "
    return (f"{table}\n\nthis test set: a - b = {res.diff:+.4f} (95% bootstrap CI {res.ci[0]:+.4f} to "
            f"{res.ci[1]:+.4f}), p = {res.p_value:.4g}\n  {res.test} test on {res.metric.upper()}, {resamples} "
            f"resamples{ci}(seed {seed}), n = {res.n} paired utterances, {strata}\n{speaker_reading_text(speakers)}")


def _folds_of(args: argparse.Namespace, p: Predictions) -> list[str] | None:
    """The fold of each uid of `p` from `--folds` (refusing a file that does not test exactly those folds)."""
    if not args.folds:
        if args.fold:
            raise ResultError("--fold NAME needs --folds FILE (the folds file that names it)")
        return None
    folds = read_folds_file(args.folds, args.fold)
    return check_uids(p.path, p.uids, folds, lambda uid: _line_of(p.path, p.uids.index(uid)))


def _speaker_clusters(args: argparse.Namespace, uids: Sequence[str]) -> list[str] | str:
    """The speaker of each uid, or the reason the speaker reading is unavailable."""
    table = read_speakers_file(args.speakers, uids) if args.speakers else None
    try:
        return resolve_speakers(uids, table)[0]
    except ValueError as e:
        return f"{e}; the uids do not say who spoke (only IEMOCAP and CREMA-D ids do): pass --speakers FILE"


def _score(args: argparse.Namespace) -> int:
    p = _read(args.predictions)
    _folds_of(args, p)
    labels, source = _label_set(args, [p])
    s = score_labels(p.gold, p.pred, labels)
    print(json.dumps(s.to_json(), indent=2) if args.json else score_table(p, s, source))
    return 0


def _compare(args: argparse.Namespace) -> int:
    a, b = _read(args.a), _read(args.b)
    labels, _ = _label_set(args, [a, b])
    union, gold, pred_a, pred_b, _ = align(a, b)
    recode = np.array([labels.index(x) for x in union], dtype=np.int64)  # union ⊆ labels (checked above)
    gold, pred_a, pred_b = recode[gold], recode[pred_a], recode[pred_b]
    metric = args.metric or ("wa" if args.test == "mcnemar" else "ua")
    folds = _folds_of(args, a)
    strata = None if folds is None else np.unique(np.asarray(folds), return_inverse=True)[1]
    res = compare(pred_a, pred_b, gold, len(labels), test=args.test, metric=metric, strata=strata,
                  n_resamples=args.resamples, seed=args.seed)
    clusters = _speaker_clusters(args, a.uids)
    speakers: PairedInference | str = clusters if isinstance(clusters, str) else compare_readings(
        seed_mean_correct(pred_a, gold), seed_mean_correct(pred_b, gold), gold, len(labels), strata,
        np.asarray(clusters), n_resamples=args.resamples, seed=args.seed, metric=metric)
    where = (f"resampled within the {len(set(folds))} fold(s) of {args.folds}" if folds is not None
             else "one stratum (no --folds)")
    if args.json:
        out = {**res.to_json(), "this_test_set": {"reading": "utterances resampled", "ci_95": list(res.ci),
                                                  "p_value": res.p_value, "test": res.test, "strata": where}}
        out["new_speakers"] = ({"available": False, "why": speakers} if isinstance(speakers, str) else
                               {"available": True, "n_speakers": speakers.n_speakers,
                                "ci_95_speaker_bootstrap": None if speakers.ci_speaker is None else list(speakers.ci_speaker),
                                "why_no_ci": speakers.why_no_ci_speaker, "p_value_speaker_signflip": speakers.p_speaker,
                                "p_method": speakers.p_speaker_method, "why_no_p": speakers.why_no_p_speaker,
                                "se_speaker": speakers.se_speaker, "mdd_speaker": speakers.mdd_speaker})
        print(json.dumps(out, indent=2))
    else:
        print(compare_table(a, b, res, args.resamples, args.seed, speakers, where))
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    refs = load_references(args.references) if args.references else None
    lb = build_leaderboard(args.runs_dir, args.out, references=refs, n_resamples=args.resamples, seed=args.seed)
    ranked = sum(len(c.ranked) for c in lb.cells)
    failed = f" ({len(lb.failures)} failed runs shown, not ranked)" if lb.failures else ""
    print(f"wrote {args.out}: {len(lb.cells)} cells, {ranked} ranked model rows from {lb.n_runs} runs{failed}",
          file=sys.stderr)
    if args.print:
        print(headline_text(lb))
    return 0


def _label_and_json_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="the label set (e.g. neu,hap,ang,sad); default: the result.json beside the file, "
                        "else the gold labels. Labels outside it are an error")
    p.add_argument("--folds", default=None, metavar="FILE",
                   help="folds file of the protocol (`lemer-bench data folds`): the predictions must test exactly "
                        "its test uids (missing, extra or duplicate uids are an error); each fold is a stratum")
    p.add_argument("--fold", default=None, metavar="NAME", help="with --folds: only this fold's test uids")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("score", help="WA, UA, macro-F1 and per-class recall of a predictions JSONL file",
                       description="Score one prediction file: WA, UA, macro-F1 and per-class recall.")
    p.add_argument("predictions", help="JSONL with uid, gold, pred (optional probs), or a run folder holding "
                                       f"{PREDICTIONS_FILE}")
    _label_and_json_args(p)
    p.set_defaults(func=_score)

    p = sub.add_parser("compare", help="paired significance test between two prediction files on the same utterances",
                       description="Paired test of model A against model B on the same utterances (same uids "
                                   "and gold labels); the difference reported is A - B.")
    p.add_argument("a", help="model A: prediction JSONL or a run folder holding one")
    p.add_argument("b", help="model B: prediction JSONL or a run folder holding one")
    p.add_argument("--test", choices=TESTS, default="bootstrap",
                   help="bootstrap (default): resample utterances; permutation: swap A/B per utterance; "
                        "mcnemar: exact test on WA")
    p.add_argument("--metric", choices=METRICS, default=None, help="default: wa for mcnemar, ua otherwise")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the resampling, >= 0 (default 0)")
    p.add_argument("--resamples", type=integer(1), default=DEFAULT_RESAMPLES,
                   help=f"bootstrap/permutation resamples, also used for the CI (at least 1; default {DEFAULT_RESAMPLES})")
    p.add_argument("--speakers", default=None, metavar="FILE",
                   help="uid,speaker[,gender] CSV/TSV for the new-speakers reading (default: from the uids where "
                        "the corpus prefix says who spoke: IEMOCAP, CREMA-D)")
    _label_and_json_args(p)
    p.set_defaults(func=_compare)

    p = sub.add_parser("leaderboard", help="tables, significance tests, plots and index.html from a runs directory")
    p.add_argument("runs_dir", help="a runs folder written by `lemer-bench run` (e.g. runs/demo)")
    p.add_argument("--out", required=True,
                   help="output folder: new, empty, or one this command wrote before (it holds a .lemer-leaderboard "
                        "marker); replaced atomically. Any other non-empty folder is refused")
    p.add_argument("--references", help="TOML file of published reference rows ([[reference]] tables)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the significance tests' resampling, >= 0 "
                   "(default 0)")
    p.add_argument("--resamples", type=integer(1), default=DEFAULT_RESAMPLES,
                   help=f"resamples of the significance tests, >= 1 (default {DEFAULT_RESAMPLES})")
    p.add_argument("--print", action="store_true",
                   help="also print the headline table (best model per corpus and condition) to stdout")
    p.set_defaults(func=_leaderboard)

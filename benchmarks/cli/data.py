"""`lemer-bench data ...`: export a corpus manifest, write its folds, check a tree, generate a synthetic one.

The manifest (`export`) and fold file (`folds`) are the contract the rest of the harness reads.
`export --format hf` writes the manifest as a saved Hugging Face `datasets.Dataset`; every
command accepts such a folder as `--root hf:DIR[?FIELD=COLUMN&...]` and reads it through the same
checks, label maps and protocols as the corpus tree (see `dataset_adapters/hf_dataset.py`).
Bad input exits non-zero with every problem named by file and line; `--on-error skip` turns
problems into an explicit, counted skip list on stderr instead. Never a silent drop. These commands
check clips as the encoders will read them (finite samples, at least `audio.MIN_SECONDS` long), so
`check` names what would otherwise fail at run time. `synth` never writes into a folder it did not
create and replaces a corpus it did create only with `--force`.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from benchmarks.corpora import describe_any_root, manifest_hash
from dataset_adapters.base import CORPORA, get_adapter
from dataset_adapters.hf_dataset import export_dataset, is_hf_root, parse_hf_root, read_provenance
from dataset_adapters.load import load_report
from dataset_adapters.synth import GENERATOR_VERSION, MARKER_NAME, generate, read_marker
from dataset_adapters.types import EMPTY_TEXT_POLICY, CorpusError, LoadReport, Problem
from lemer.core.atomic import write_text_atomic
from lemer.core.errors import InputError, LemerError, OutputError
from lemer.core.options import integer


class OutputWriteFailed(OutputError):
    """The file system refused an output write (full, read-only, no permission); nothing was replaced."""


def _write_output(path: Path, text: str) -> None:
    """Atomic write of a command's output file; a refused write becomes one line naming the path."""
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise OutputWriteFailed(f"{path}: cannot write ({e.strerror or type(e).__name__}); "
                                "nothing was written or replaced there") from None


def _print_problems(title: str, problems: Iterable[Problem]) -> None:
    problems = list(problems)
    print(f"{title}: {len(problems)}", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)


def _load(args: argparse.Namespace, on_error: str) -> LoadReport:
    """Read with the same clip checks as `check`, so `--on-error skip` drops exactly what check names."""
    report = load_report(args.corpus, args.root, label_map=args.label_map, on_error=on_error,  # type: ignore[arg-type]
                         verify_samples=True)
    if report.skipped:
        _print_problems(f"skipped {args.corpus} inputs", report.skipped)
    if report.missing:  # a partial copy is readable, never silently
        _print_problems(f"absent from this copy of {args.corpus}", report.missing)
    return report


def cmd_export(args: argparse.Namespace) -> int:
    if args.format == "hf":
        return _export_hf(args)
    report = _load(args, args.on_error)
    lines = "".join(json.dumps(u.to_json(), ensure_ascii=False) + "\n" for u in report.utterances)
    _write_output(Path(args.out), lines)
    print(f"wrote {len(report.utterances)} utterances to {args.out} "
          f"(filtered by label map: {sum(report.filtered.values())}, skipped: {len(report.skipped)})", file=sys.stderr)
    return 0


def cmd_folds(args: argparse.Namespace) -> int:
    adapter = get_adapter(args.corpus)
    protocol = args.protocol or adapter.info.default_protocol
    report = _load(args, args.on_error)
    folds = adapter.folds(report.utterances, protocol)
    doc = {
        "corpus": adapter.info.name,
        "protocol": protocol,
        "label_map": args.label_map or adapter.info.default_label_map,
        "folds": [f.to_json() for f in folds],
    }
    _write_output(Path(args.out), json.dumps(doc, indent=1) + "\n")
    for f in folds:
        print(f"{f.name}: train {len(f.train)}, valid {len(f.valid)}, test {len(f.test)}", file=sys.stderr)
    return 0


def _export_hf(args: argparse.Namespace) -> int:
    """`export --format hf`: the manifest as a saved datasets.Dataset plus a provenance record."""
    adapter = get_adapter(args.corpus)
    report = _load(args, args.on_error)
    root = describe_any_root(adapter.info.name, args.root)
    provenance = {
        "corpus": adapter.info.name, "display": root.display, "synthetic": root.synthetic,
        "source_root": root.root, "label_map": args.label_map or adapter.info.default_label_map,
        "manifest_hash": manifest_hash(report.utterances), "filtered": report.filtered,
        "skipped": len(report.skipped),
    }
    try:
        n = export_dataset(report.utterances, args.out, provenance)
    except FileExistsError as e:
        raise InputError(str(e)) from None
    except OSError as e:
        raise OutputWriteFailed(f"{e.filename or args.out}: cannot write the dataset "
                                f"({e.strerror or type(e).__name__})") from None
    print(f"wrote {n} utterances as a Hugging Face dataset to {args.out} (read it back with --root hf:{args.out}; "
          f"filtered by label map: {sum(report.filtered.values())}, skipped: {len(report.skipped)})", file=sys.stderr)
    return 0


def _counts(title: str, counter: Counter[Any]) -> list[str]:
    items = sorted(counter.items(), key=lambda kv: str(kv[0]))
    return [f"{title}:"] + [f"  {k if k is not None else '(none)'}\t{v}" for k, v in items]


def _synthetic_line(corpus: str, root: str) -> str | None:
    """"synthetic corpus: ..." when the tree (or the export it came from) was written by the generator."""
    if is_hf_root(root):
        prov = read_provenance(parse_hf_root(root)[0]) or {}
        return (f"synthetic corpus: a Hugging Face export of {prov.get('display')} (espeak speech, not real data)"
                if prov.get("synthetic") else None)
    adapter = get_adapter(corpus)
    try:
        marker = read_marker(adapter.find_root(root))  # type: ignore[attr-defined]
    except (CorpusError, ValueError, OSError):
        return None
    if marker is None:
        return None
    line = (f"synthetic corpus: generated in the {marker['layout']} layout (scale {marker['scale']}, seed "
            f"{marker['seed']}, generator v{marker['generator_version']}): espeak speech, not real data")
    if str(marker["generator_version"]) != GENERATOR_VERSION:
        line += (f"; this generator is v{GENERATOR_VERSION}, so runs regenerate it (data synth --force writes the "
                 f"current one)")
    return line


def cmd_check(args: argparse.Namespace) -> int:
    """Read everything in skip mode so that ALL problems are listed. `--on-error raise` (default): any problem
    (or absent expected part) fails the check; `--on-error skip`: they are the counted skip list a skip-mode
    command would leave out, and the check passes when usable utterances remain."""
    adapter = get_adapter(args.corpus)
    report = load_report(adapter.info.name, args.root, label_map=args.label_map, on_error="skip", verify_audio=True,
                         verify_samples=True)
    us = report.utterances
    info = adapter.info
    out = []
    synthetic = _synthetic_line(info.name, args.root)
    if synthetic:
        out.append(synthetic)
    out.append(f"{info.name}: {len(us)} usable utterances (label map {args.label_map or info.default_label_map}; "
               f"tasks: {', '.join(info.tasks)})")
    out += _counts("label", Counter(u.label for u in us))
    out += _counts("speaker", Counter(u.speaker for u in us))
    out += _counts("gender", Counter(u.gender for u in us))
    out += _counts("session", Counter(u.session for u in us))
    out += _counts("partition", Counter(u.partition for u in us))
    out += _counts("filtered by label map (raw label)", Counter(report.filtered))
    everything = report.all_utterances()
    out.append(f"kept outside the categorical task: {len(report.no_consensus)} without consensus, "
               f"{len(report.outside_map)} outside the label map (for the soft and dimensional tasks)")
    with_dims = [u for u in everything if u.dims is not None]
    scale = f" (scale {info.dims_scale[0]:g}-{info.dims_scale[1]:g})" if info.dims_scale else ""
    out.append(f"dims (arousal, valence, dominance): {len(with_dims)} of {len(everything)} utterances{scale}"
               + ("" if info.dims_scale else "; this corpus has no dimensional ratings"))
    with_votes = [u for u in everything if u.votes is not None]
    mean_raters = sum(u.votes.annotators for u in with_votes) / len(with_votes) if with_votes else 0.0  # type: ignore[union-attr]
    out.append(f"annotator votes: {len(with_votes)} of {len(everything)} utterances"
               + (f" ({mean_raters:.1f} annotators on average)" if with_votes else ""))
    no_text = [u.uid for u in us if u.transcript is None]
    if no_text:  # not a problem (speech models can use the corpus), but text-reading runs will refuse it
        out.append(f"no gold transcript: {len(no_text)} of {len(us)} utterances (e.g. {', '.join(no_text[:3])}); "
                   "text models cannot read them under the gold or noise: transcript conditions (use an asr: one)")
    if report.empty_transcripts:
        out.append(f"empty gold transcript: {len(report.empty_transcripts)} utterances (e.g. "
                   f"{', '.join(report.empty_transcripts[:3])}); {EMPTY_TEXT_POLICY}")
    if report.notes:
        out.append(f"notes (not errors): {len(report.notes)}")
        for kind, n in report.note_counts().items():
            examples = [str(x) for x in report.notes if x.kind == kind][:3]
            out.append(f"  {kind}\t{n}\t(e.g. {examples[0]})")
            out += [f"  \t\t      {e}" for e in examples[1:]]
    print("\n".join(out))
    problems = list(report.skipped) + list(report.missing)
    if args.on_error == "skip":
        if problems:
            _print_problems("skipped (--on-error skip)", problems)
        print(f"ok: {len(us)} usable utterances" + (f", {len(problems)} input(s) skipped" if problems else
                                                    ", no problems found"))
        return 0
    if problems:
        _print_problems("problems", problems)
        return 1
    print("ok: no problems found")
    return 0


def _synth_refusal(out: Path, force: bool) -> str | None:
    """Why `data synth` must not write to `out`, or None. It replaces only what it created, and only
    when asked: an existing generated corpus needs `--force`, and even then not one with files
    added or changed after generation (newer than its marker), which the user made."""
    if not out.exists():
        return None
    if not out.is_dir():
        return f"{out}: exists and is not a folder"
    if not any(out.iterdir()):
        return None
    if read_marker(out) is None:
        return (f"{out}: folder is not empty and was not created by the synthetic-corpus generator "
                f"(no {MARKER_NAME}); refusing to write into it, with or without --force")
    if not force:
        return f"{out}: already holds a synthetic corpus; pass --force to replace it"
    generated = (out / MARKER_NAME).stat().st_mtime_ns
    later = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.stat().st_mtime_ns > generated)
    if later:
        return (f"{out}: {len(later)} file(s) were added or changed after the corpus was generated "
                f"({', '.join(later[:5])}); --force replaces only what the generator wrote: move them away first")
    return None


def cmd_synth(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        refusal = _synth_refusal(out, args.force)
        if refusal:
            raise InputError(refusal)
        summary = generate(args.layout, out, scale=args.scale, seed=args.seed)
    except (NotImplementedError, FileExistsError) as e:  # a plan it cannot make, or a folder it must not overwrite
        raise InputError(str(e)) from None
    except OSError as e:  # disk full, read-only: the generator builds in a temp folder it removes again
        if isinstance(e, LemerError):
            raise
        raise OutputWriteFailed(f"generation stopped, cannot write {e.filename or out} "
                                f"({e.strerror or type(e).__name__}); {out} is unchanged (the corpus is built in a "
                                "temporary folder and moved there only when complete)") from None
    print(json.dumps(summary, indent=1, default=str))
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    data = sub.add_parser("data", help="corpus manifests, folds, checks and synthetic corpora")
    dsub = data.add_subparsers(dest="data_command", required=True)
    corpora = CORPORA.names()

    def corpus_args(p: argparse.ArgumentParser, label_map: bool = True) -> None:
        p.add_argument("corpus", choices=corpora, help=f"which corpus layout to read: {', '.join(corpora)}")
        p.add_argument("--root", required=True,
                       help="corpus root folder as distributed, or hf:DIR[?FIELD=COLUMN&...] for a saved "
                            "Hugging Face dataset (e.g. hf:/data/iemo?speaker=spk_id&label=emotion)")
        if label_map:
            p.add_argument("--label-map", default=None, help="label map name (default: the corpus's own)")

    p = dsub.add_parser("export", help="write the manifest: one JSON line per kept utterance, or a HF dataset")
    corpus_args(p)
    p.add_argument("--out", required=True,
                   help="output file (.jsonl, replaced atomically) or, with --format hf, a new or empty folder")
    p.add_argument("--format", choices=("jsonl", "hf"), default="jsonl",
                   help="jsonl (default) or hf: a datasets.Dataset folder (save_to_disk) readable as --root hf:OUT")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="raise (default): stop at the first bad input, naming file and line; skip: leave bad "
                        "inputs out and list every one, counted, on stderr")
    p.set_defaults(func=cmd_export)

    p = dsub.add_parser("folds", help="write the train/valid/test folds of a protocol")
    corpus_args(p)
    p.add_argument("--protocol", default=None,
                   help="loso (IEMOCAP sessions), official (MSP-Podcast partitions) or speaker-kfold (CREMA-D "
                        "actors: speaker-5fold); default: the corpus's own (see `lemer-bench ls`)")
    p.add_argument("--out", required=True, help="output JSON file of the folds (replaced atomically)")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="must match the export's setting so folds and manifest agree")
    p.set_defaults(func=cmd_folds)

    p = dsub.add_parser("check", help="validate a corpus tree; non-zero exit on any problem")
    corpus_args(p)
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="raise (default): every problem is listed and the check fails; skip: they are listed as the "
                        "counted skip list that --on-error skip on the other commands leaves out, and the check "
                        "passes when usable utterances remain")
    p.set_defaults(func=cmd_check)

    p = dsub.add_parser("synth", help="generate a synthetic corpus in a real corpus's layout")
    p.add_argument("--layout", required=True, choices=("iemocap", "msp-podcast", "crema-d"),
                   help="whose distributed folder layout to write (read back by that corpus's adapter)")
    p.add_argument("--out", required=True,
                   help="new or empty folder for the corpus root (a folder the generator did not create is refused)")
    p.add_argument("--scale", choices=("tiny", "small", "full"), default="small",
                   help="tiny: a few speakers, for tests; small (default): enough for the demo; full: the real "
                        "corpus's speaker count (slow; espeak renders every clip)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the plan (speakers, labels, phrases), >= 0 (default 0)")
    p.add_argument("--force", action="store_true",
                   help="replace a synthetic corpus this generator wrote at --out (never a folder it did not create)")
    p.set_defaults(func=cmd_synth)

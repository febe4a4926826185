"""IEMOCAP adapter: reads `IEMOCAP_full_release/` exactly as distributed.

What is read, per session `Session{1..5}/`:
- `dialog/EmoEvaluation/<dialog>.txt` (the main evaluation file, the one source of labels): a `%`
  header, then one block per turn. The block's first line is tab-separated
  `[START - END]  <uid>  <label>  [V, A, D]`: the consensus class (`xxx` = no agreement) and the
  consensus valence, activation (= arousal) and dominance on a 1-5 scale. Then one line per
  annotator: `C-<who>:  <Class>; [<Class>; ...]  (<comment>)` (categorical) and
  `A-<who>:  val <n>; act <n>; dom <n>;  (<comment>)` (dimensional). `<who>` is `E<k>` for the k-th
  external evaluator and `F<k>`/`M<k>` for the self-evaluation of the female/male actor.
  * Votes (`Utterance.votes`) count the evaluators (`C-E` lines) only: the consensus is theirs,
    not the actors'. Evidence: in the published block of Ses01F_impro05_F019 the bracket
    [1.5, 4.0, 4.5] is exactly the mean of its A-E3/A-E4 lines and not of A-E3/A-E4/A-F1.
    Self-evaluation lines are parsed and validated, never counted.
  * An evaluator who names several classes on one line (`C-E2: Frustration; Anger; ()`) casts one
    vote split equally between them (0.5 + 0.5), so every evaluator weighs the same and the counts
    sum to the number of evaluators. Class names are IEMOCAP's long names (`EVALUATOR_CLASSES`:
    Neutral state, Happiness, Excited, Sadness, Anger, Frustration, Fear, Surprise, Disgust,
    Other; short forms and "Other: ..." variants accepted); an unknown name is a problem.
  * Dims (`Utterance.dims`) are the bracket on the utterance line (consensus, scale 1-5); when
    they differ from the mean of the `A-E` lines by more than 0.01 a `dims-mean` note says so.
  * A malformed or missing annotator line (a turn with no `C-E` line at all) is a problem naming
    file and line; under `on_error="skip"` only that annotator data is left out: the turn keeps
    its consensus label and dims, with the votes of the remaining evaluators (None if none).
- `dialog/EmoEvaluation/Categorical/<dialog>_e<k>_cat.txt` and `Attribute/<dialog>_e<k>_atr.txt`:
  the same facts per evaluator (`<uid> :<Class>; ... (<comment>)`, `<uid> :act <n>; val <n>; dom <n>;`).
  They are NOT a second source: the main file is read, and these are compared with its `C-E<k>` /
  `A-E<k>` lines; each disagreement (or unreadable file, or line that cannot be compared) is an
  `evaluator-file` note, not a problem, because the consensus the corpus publishes is the main
  file's. `Self-evaluation/` is not read (one `ignored-file` note).
- `dialog/transcriptions/<dialog>.txt`: `<uid> [START-END]: text`; lines that are not utterances
  (`XX` ids, no timestamps) are skipped by design. Empty text is kept as "" and counted.
- `sentences/wav/<dialog>/<uid>.wav`: the turn's clip; it must last `end - start` within
  `audio.SEGMENT_TOLERANCE`.

Accounting for every file: a session folder that is absent is in `LoadReport.missing`; a label file
that cannot be read (permission, symlink loop, FIFO, undecodable) is a problem naming it, and so is a
folder that must be listed but cannot be (a `chmod 000` session: never "no label files"); a
transcription file or a folder of clips whose dialogue has no label file is a problem, as is a clip
without a label line; a transcription line without a labelled turn is an `unlabelled-text` note.
The speaker is the session plus the gender letter of the utterance suffix (`Ses05M_script01_3_F000`
-> `Ses05_F`), not the dialogue prefix; that letter is also `Utterance.gender`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dataset_adapters.check import (
    UNKNOWN,
    ProblemLog,
    Read,
    TreeAdapter,
    audio_problem,
    fatal,
    make_votes,
    route_label,
    split_vote,
    with_context,
)
from dataset_adapters.files import UnreadableFile, is_folder, is_present, list_dir, read_text
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Dims, Problem, Utterance

NAME = "iemocap"
SCALE = (1.0, 5.0)

RAW_CODES: dict[str, str | None] = {
    "neu": "neu", "hap": "hap", "exc": "exc", "sad": "sad", "ang": "ang", "fru": "fru",
    "fea": "fea", "sur": "sur", "dis": "dis", "oth": "oth", "xxx": None,
}
INFO = CorpusInfo(
    name=NAME,
    version="IEMOCAP_full_release",
    env_var="LEMER_DATA_IEMOCAP",
    expected_root="the IEMOCAP_full_release folder (holding Session1 .. Session5)",
    protocols=("loso",),
    default_protocol="loso",
    label_maps=(
    LabelMap("iemocap-4", ("neu", "hap", "ang", "sad"), (("exc", "hap"),), (NAME,)),
    LabelMap("iemocap-6", ("neu", "hap", "ang", "sad", "exc", "fru"), (), (NAME,)),
    ),
    default_label_map="iemocap-4",
    raw_codes=RAW_CODES,
    tasks=("categorical", "dimensional", "soft"),
    dims_scale=SCALE,
)
SESSIONS = tuple(f"Session{i}" for i in range(1, 6))
# IEMOCAP's class names on annotator lines (lower case) -> unified codes.
EVALUATOR_CLASSES: dict[str, str] = {
    "neutral state": "neu", "neutral": "neu", "happiness": "hap", "happy": "hap", "excited": "exc",
    "excitement": "exc", "sadness": "sad", "sad": "sad", "anger": "ang", "angry": "ang", "frustration": "fru",
    "frustrated": "fru", "fear": "fea", "fearful": "fea", "surprise": "sur", "surprised": "sur",
    "disgust": "dis", "disgusted": "dis", "other": "oth",
}
DIMS_MEAN_TOLERANCE = 0.01  # the bracket is printed with 4 decimals

# Utterance id: dialogue (`Ses01F_impro01`, `Ses05M_script01_1b`) + `_` + gender letter + 3 digits.
UTT_ID = re.compile(r"^(?P<dialog>Ses(?P<session>\d\d)[FM]_[A-Za-z0-9_]+?)_(?P<gender>[FM])\d{3}$")
EVAL_LINE = re.compile(
    r"^\[\s*(?P<start>\d+(?:\.\d+)?)\s*-\s*(?P<end>\d+(?:\.\d+)?)\s*\]\s+(?P<uid>\S+)\s+(?P<label>\S+)\s+"
    r"\[(?P<vad>[^\]]*)\]\s*$"
)
ANNOTATOR_LINE = re.compile(r"^(?P<kind>[CA])-(?P<who>[A-Za-z]+\d*):(?P<body>.*)$")
TRANSCRIPT_LINE = re.compile(r"^(?P<uid>\S+)\s+\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\s*:\s?(?P<text>.*)$")
EVALUATOR_FILE = re.compile(r"^(?P<dialog>.+)_e(?P<k>\d+)_(?P<kind>cat|atr)\.txt$")
PER_EVALUATOR_LINE = re.compile(r"^(?P<uid>\S+)\s*:(?P<body>.*)$")
DIM_TOKEN = re.compile(r"\b(val|act|dom)\s*([-+]?\d+(?:\.\d+)?)")


@dataclass
class _Turn:
    uid: str
    dialog: str
    speaker: str
    gender: str
    session: str
    start: float
    end: float
    label_raw: str
    vad: tuple[float, float, float] | None  # consensus (valence, activation, dominance)
    eval_file: Path
    line: int
    cat: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)  # who -> (unified codes, line)
    att: dict[str, tuple[tuple[float, float, float], int]] = field(default_factory=dict)  # who -> ((v, a, d), line)


def find_root(root: str | Path) -> Path:
    """The folder holding `Session1..5`; accepts the parent of `IEMOCAP_full_release/` too."""
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "IEMOCAP_full_release"):
        if any(is_folder(candidate / s / "dialog" / "EmoEvaluation") for s in SESSIONS):
            return candidate
    raise fatal(root, "not an IEMOCAP root: no Session{1..5}/dialog/EmoEvaluation/ folder found "
                      "(expected the IEMOCAP_full_release/ layout)")


def evaluator_classes(body: str) -> tuple[list[str], list[str]]:
    """(unified codes, unknown names) of the class names before the comment of a categorical line."""
    names = [t.strip() for t in body.split("(", 1)[0].split(";") if t.strip()]
    codes, unknown = [], []
    for name in names:
        key = " ".join(name.lower().split())
        if key in EVALUATOR_CLASSES:
            codes.append(EVALUATOR_CLASSES[key])
        elif key.startswith("other"):
            codes.append("oth")
        else:
            unknown.append(name)
    return codes, unknown


def dimension_ratings(body: str) -> tuple[float, float, float] | str:
    """(valence, activation, dominance) of a dimensional line's body, or why it cannot be read."""
    found: dict[str, float] = {}
    for key, value in DIM_TOKEN.findall(body.split("(", 1)[0]):
        if key in found:
            return f"{key} given twice"
        found[key] = float(value)
    absent = [k for k in ("val", "act", "dom") if k not in found]
    if absent:
        return f"no {', '.join(absent)} rating"
    out = (found["val"], found["act"], found["dom"])
    if not all(SCALE[0] <= x <= SCALE[1] for x in out):
        return f"rating outside the {SCALE[0]:g}-{SCALE[1]:g} scale"
    return out


def _consensus_vad(text: str) -> tuple[float, float, float] | str:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        return f"consensus [V, A, D] is not three numbers: [{text}]"
    if len(values) != 3:
        return f"consensus [V, A, D] holds {len(values)} values: [{text}]"
    if not all(SCALE[0] <= x <= SCALE[1] for x in values):
        return f"consensus [V, A, D] [{text}] lies outside the {SCALE[0]:g}-{SCALE[1]:g} scale"
    return values  # type: ignore[return-value]


def parse_eval_file(path: Path, session: str, text: str, log: ProblemLog,
                    mentioned: set[str] | None = None) -> list[_Turn]:
    """The turns of one EmoEvaluation file, each with its annotator lines (problems logged with file and line).
    The ids named by malformed utterance lines are added to `mentioned` (their clips are not also "unlabelled")."""
    turns: list[_Turn] = []
    current: _Turn | None = None
    broken = False  # the current block's utterance line was malformed: its annotator lines go with it
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("%"):
            continue
        if line.startswith("["):
            current, broken = _parse_turn(path, session, line, n, log), False
            if current is None:
                broken = True
                if mentioned is not None:
                    mentioned.update(t for t in re.split(r"\s+", line) if UTT_ID.match(t))
            else:
                turns.append(current)
            continue
        m = ANNOTATOR_LINE.match(line.strip())
        if not m:
            log.add(path, n, f"line is neither the header, an utterance line nor an annotator line: {line[:80]!r}")
            continue
        if broken:
            continue
        if current is None:
            log.add(path, n, f"annotator line before any utterance line: {line[:80]!r}")
            continue
        who = m["who"]
        if not re.fullmatch(r"[EFM]\d+", who):
            log.add(path, n, f"unknown annotator {who!r} (expected E<k> for an evaluator, F<k>/M<k> for the actors' "
                             f"self-evaluation)")
            continue
        table = current.cat if m["kind"] == "C" else current.att
        if who in table:
            log.add(path, n, f"{m['kind']}-{who} given twice for {current.uid} (first at line {table[who][1]})")
            continue
        if m["kind"] == "C":
            codes, unknown = evaluator_classes(m["body"])
            if unknown:
                log.add(path, n, f"unknown class name(s) {', '.join(map(repr, unknown))} on C-{who} of {current.uid} "
                                 f"(known: {', '.join(sorted(set(EVALUATOR_CLASSES)))})")
            elif not codes:
                log.add(path, n, f"C-{who} of {current.uid} names no class")
            else:
                current.cat[who] = (tuple(codes), n)
        else:
            ratings = dimension_ratings(m["body"])
            if isinstance(ratings, str):
                log.add(path, n, f"A-{who} of {current.uid}: {ratings} in {m['body'].strip()[:60]!r}")
            else:
                current.att[who] = (ratings, n)
    for t in turns:
        if not any(who.startswith("E") for who in t.cat):
            log.add(path, t.line, f"{t.uid} has no evaluator line (C-E<k>): its votes are unknown")
    return turns


def _parse_turn(path: Path, session: str, line: str, n: int, log: ProblemLog) -> _Turn | None:
    m = EVAL_LINE.match(line)
    if not m:
        log.add(path, n, f"malformed utterance line: {line[:80]!r}")
        return None
    uid = m["uid"]
    idm = UTT_ID.match(uid)
    if not idm:
        log.add(path, n, f"malformed utterance id {uid!r}")
        return None
    if idm["dialog"] != path.stem:
        log.add(path, n, f"utterance {uid!r} does not belong to dialogue {path.stem!r}")
        return None
    if f"Session{int(idm['session'])}" != session:
        log.add(path, n, f"utterance {uid!r} is filed under {session}")
        return None
    start, end = float(m["start"]), float(m["end"])
    if end < start:
        log.add(path, n, f"end time {end} before start time {start}")
        return None
    vad = _consensus_vad(m["vad"])
    if isinstance(vad, str):
        log.add(path, n, vad)
        vad = None
    return _Turn(uid=uid, dialog=idm["dialog"], speaker=f"Ses{idm['session']}_{idm['gender']}", gender=idm["gender"],
                 session=session, start=start, end=end, label_raw=m["label"], vad=vad, eval_file=path, line=n)


def parse_transcriptions(text: str) -> dict[str, tuple[str, int]]:
    """utterance id -> (text, line); lines that are not utterances (`XX` ids, no timestamps) are not transcripts."""
    out: dict[str, tuple[str, int]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = TRANSCRIPT_LINE.match(line.strip())
        if m and UTT_ID.match(m["uid"]) and m["uid"] not in out:
            out[m["uid"]] = (m["text"].strip(), n)
    return out


def _cross_check(session_dir: Path, turns: dict[str, _Turn], dialogs: set[str], log: ProblemLog) -> None:
    """Compare the per-evaluator files with the main file's C-E<k> / A-E<k> lines (notes, never problems)."""
    folder = session_dir / "dialog" / "EmoEvaluation"
    for sub, kind in (("Categorical", "cat"), ("Attribute", "atr")):
        try:
            entries = list_dir(folder / sub)
        except UnreadableFile as e:
            log.note("evaluator-file", e.path, None, f"not compared: {e.reason}")
            entries = []
        for path in entries:
            def note(line: int | None, message: str, path: Path = path) -> None:
                log.note("evaluator-file", path, line, message)

            m = EVALUATOR_FILE.match(path.name)
            if not m or m["kind"] != kind or m["dialog"] not in dialogs:
                note(None, f"not compared: not <dialog>_e<k>_{kind}.txt of a labelled dialogue of {session_dir.name}")
                continue
            who = f"E{int(m['k'])}"
            try:
                text = read_text(path, [])
            except UnreadableFile as e:
                note(e.line, f"not compared: {e.reason}")
                continue
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                lm = PER_EVALUATOR_LINE.match(line.strip())
                turn = turns.get(lm["uid"]) if lm else None
                if lm is None or turn is None:
                    note(n, f"not compared: no labelled turn for line {line.strip()[:60]!r}")
                    continue
                main_file = turn.eval_file.name
                if kind == "cat":
                    codes, unknown = evaluator_classes(lm["body"])
                    main = turn.cat.get(who)
                    if unknown or not codes:
                        note(n, f"not compared: class names {line.strip()[:60]!r}")
                    elif main is None:
                        note(n, f"{turn.uid}: main file {main_file} has no C-{who} line")
                    elif set(codes) != set(main[0]):
                        note(n, f"{turn.uid}: {sorted(set(codes))} here, {sorted(set(main[0]))} on C-{who} at "
                                f"{main_file}:{main[1]}")
                else:
                    ratings = dimension_ratings(lm["body"])
                    main_att = turn.att.get(who)
                    if isinstance(ratings, str):
                        note(n, f"not compared: {ratings}")
                    elif main_att is None:
                        note(n, f"{turn.uid}: main file {main_file} has no A-{who} line")
                    elif any(abs(a - b) > 1e-9 for a, b in zip(ratings, main_att[0])):
                        note(n, f"{turn.uid}: val/act/dom {ratings} here, {main_att[0]} on A-{who} at "
                                f"{main_file}:{main_att[1]}")
    self_eval = folder / "Self-evaluation"
    if self_eval.is_dir():
        try:
            count = f"{len(list_dir(self_eval))} self-evaluation file(s)"
        except UnreadableFile:
            count = "self-evaluation files"
        log.note("ignored-file", self_eval, None, f"{count} not read (the actors' own ratings are not the consensus)")


class IemocapAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> Read:
        missing = [Problem(str(base / s), None, f"expected session folder missing: {s} (the release has Session1 .. "
                                                f"Session5; loso makes one fold per session present)")
                   for s in SESSIONS if not is_folder(base / s)]
        turns: list[_Turn] = []
        seen: dict[str, _Turn] = {}
        for session in SESSIONS:
            session_dir = base / session
            if not is_folder(session_dir) or log.entries(session_dir, "session folder") is None:
                continue  # absent (in `missing`), or unreadable (a problem naming it)
            for turn in self._read_session(session_dir, session, log):
                if turn.uid in seen:
                    first = seen[turn.uid]
                    log.add(turn.eval_file, turn.line,
                            f"duplicate utterance {turn.uid!r} (first at {first.eval_file}:{first.line})")
                    continue
                seen[turn.uid] = turn
                turns.append(turn)

        transcripts: dict[tuple[str, str], dict[str, tuple[str, int]] | None] = {}
        out: list[Utterance] = []
        for turn in turns:
            label = route_label(NAME, turn.label_raw, lmap, filtered, log, turn.eval_file, turn.line)
            if label is UNKNOWN:
                continue
            key = (turn.session, turn.dialog)
            tfile = base / turn.session / "dialog" / "transcriptions" / f"{turn.dialog}.txt"
            if key not in transcripts:
                text = log.text(tfile, "transcription file") if is_present(tfile) else None
                if text is None and not is_present(tfile):
                    log.add(tfile, None, "transcription file missing")
                transcripts[key] = None if text is None else parse_transcriptions(text)
            table = transcripts[key]
            if table is None:
                continue
            if turn.uid not in table:
                log.add(tfile, None,
                        f"no transcription line for {turn.uid!r} (labelled at {turn.eval_file}:{turn.line})")
                continue
            wav = base / turn.session / "sentences" / "wav" / turn.dialog / f"{turn.uid}.wav"
            if verify_audio or verify_samples:
                why = audio_problem(wav, samples=verify_samples, expected_seconds=turn.end - turn.start)
                if why:
                    log.add(wav, None, f"{why} (labelled at {turn.eval_file}:{turn.line})")
                    continue
            out.append(self._utterance(turn, label, table[turn.uid][0], os.path.abspath(wav), lmap, log))  # type: ignore[arg-type]
        for (session, dialog), table in transcripts.items():
            labelled = {t.uid for t in turns if t.session == session and t.dialog == dialog}
            for uid, (_, n) in (table or {}).items():
                if uid not in labelled:
                    log.note("unlabelled-text", base / session / "dialog" / "transcriptions" / f"{dialog}.txt", n,
                             f"{uid} is transcribed but has no turn in EmoEvaluation/{dialog}.txt")
        utterances = with_context(out, lambda u: (u.session, u.uid.split(":", 1)[1].rsplit("_", 1)[0]),
                                  lambda u: (u.start, u.end, u.uid))
        return Read(utterances, base, missing)

    def _read_session(self, session_dir: Path, session: str, log: ProblemLog) -> list[_Turn]:
        folder = session_dir / "dialog" / "EmoEvaluation"
        entries = log.entries(folder, "label folder")
        if entries is None:  # named as a problem; its clips and transcripts are not 'without a label file'
            return []
        label_files = [p for p in entries if p.suffix == ".txt" and not p.is_dir()]
        for p in entries:
            if p not in label_files and not (p.is_dir() and p.name in ("Categorical", "Attribute", "Self-evaluation")):
                log.note("ignored-file", p, None, "not an EmoEvaluation label file")
        if not label_files:
            log.add(folder, None, "no EmoEvaluation label files")
        dialogs: set[str] = set()  # every dialogue with a label file, readable or not
        turns: list[_Turn] = []
        mentioned: set[str] = set()  # ids of malformed utterance lines: already problems
        for path in label_files:
            dialogs.add(path.stem)
            text = log.text(path, "label file")
            if text is not None:
                turns += parse_eval_file(path, session, text, log, mentioned)
        self._account_for_files(session_dir, dialogs, turns, mentioned, log)
        _cross_check(session_dir, {t.uid: t for t in turns}, dialogs, log)
        return turns

    @staticmethod
    def _account_for_files(session_dir: Path, dialogs: set[str], turns: list[_Turn], mentioned: set[str],
                           log: ProblemLog) -> None:
        """Transcription files and clips of dialogues without a label file, and clips without a label line,
        are problems."""
        labels = session_dir / "dialog" / "EmoEvaluation"
        for path in log.entries(session_dir / "dialog" / "transcriptions", "transcription folder") or []:
            if path.suffix == ".txt" and path.stem not in dialogs:
                log.add(path, None, f"transcription file has no label file ({labels / (path.stem + '.txt')} missing)")
        by_dialog: dict[str, set[str]] = {}
        for t in turns:
            by_dialog.setdefault(t.dialog, set()).add(t.uid)
        for folder in log.entries(session_dir / "sentences" / "wav", "clip folder") or []:
            if not folder.is_dir():
                log.note("ignored-file", folder, None, "not a dialogue folder of clips")
                continue
            listed = log.entries(folder, "clip folder")
            if listed is None:
                continue
            wavs = [p for p in listed if p.suffix.lower() == ".wav"]
            for p in listed:
                if p.suffix.lower() != ".wav":
                    log.note("ignored-file", p, None, "not a .wav clip")
            if folder.name not in dialogs:
                if wavs:
                    log.add(folder, None,
                            f"{len(wavs)} clip(s) but no label file ({labels / (folder.name + '.txt')} missing)")
                continue
            labelled = by_dialog.get(folder.name)
            if labelled is None:  # the label file was unreadable: already a problem
                continue
            for wav in wavs:
                if wav.stem not in labelled and wav.stem not in mentioned:
                    log.add(wav, None, f"audio file has no label line in {labels / (folder.name + '.txt')}")

    @staticmethod
    def _utterance(turn: _Turn, label: str | None, text: str, wav: str, lmap: LabelMap, log: ProblemLog) -> Utterance:
        raw: dict[str, float] = {}
        evaluators = [codes for who, (codes, _) in turn.cat.items() if who.startswith("E")]
        for codes in evaluators:
            split_vote(codes, raw)
        votes = make_votes(raw, len(evaluators), lmap) if evaluators else None
        dims = None
        if turn.vad is not None:
            v, a, d = turn.vad
            dims = Dims(arousal=a, valence=v, dominance=d, scale=SCALE)
            rated = [vad for who, (vad, _) in turn.att.items() if who.startswith("E")]
            if rated:
                mean = tuple(sum(x[i] for x in rated) / len(rated) for i in range(3))
                if any(abs(m - c) > DIMS_MEAN_TOLERANCE for m, c in zip(mean, turn.vad)):
                    log.note("dims-mean", turn.eval_file, turn.line,
                             f"{turn.uid}: consensus [V, A, D] {list(turn.vad)} is not the mean "
                             f"{[round(x, 4) for x in mean]} of its {len(rated)} A-E line(s)")
        return Utterance(uid=f"{NAME}:{turn.uid}", corpus=NAME, speaker=turn.speaker, session=turn.session, audio=wav,
                         start=turn.start, end=turn.end, transcript=text, label=label, label_raw=turn.label_raw,
                         partition=None, gender=turn.gender, dims=dims, votes=votes)

"""Scale run: time the harness on a full-size corpus and project the real suites' cost on this machine.

    lemer-bench data synth --layout iemocap --scale full --out /data/synth-full/IEMOCAP_full_release
    python -m benchmarks.tools.scale --root /data/synth-full/IEMOCAP_full_release [--out scale.json]

Phases (each from an EMPTY cache directory, through the same code paths a suite uses):
1. manifest: the IEMOCAP adapter reads the tree (iemocap-4), clip durations from the file headers;
2. speech features: `RunData.speech_features` (Whisper tiny.en encoder, unpadded, batched by length, fp16);
3. text features: `RunData.text_features` under `gold`, LE-MER's context window (10);
4. ASR: both engines on a duration-stratified sample of clips -> cost per audio second;
5. runs: one `loso` fold (test=Session1) of `lemer` and `majority` through `run_suite` (features reused);
6. leaderboard over those runs;
7. RSS probe: fresh processes read the cached speech features of N and 2N utterances via the memmapped cache.

Peak RSS is `ru_maxrss` (includes file-backed pages of memmapped features, which the kernel can drop);
the probe separates anonymous from file-backed RSS. From the measured unit costs the script projects the
IEMOCAP `paper`-style grid (5 folds x 3 seeds x 5 transcript conditions, frozen offline encoders) and an
MSP-Podcast-sized corpus. The output JSON holds every measured number and every projection input.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import soundfile as sf

from benchmarks.corpora import describe_root
from benchmarks.features.cache import FeatureCache
from benchmarks.models import MODELS, describe
from benchmarks.run.inputs import DataConfig, RunData
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import load_suite
from benchmarks.transcripts import corpus_wer, get_source, parse_condition
from leaderboard.build import build_leaderboard
from lemer.model.config import LEMERConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read when an encoder is built: never ask the hub

CONDITIONS = ("gold", "asr:whisper-tiny.en", "asr:pocketsphinx", "noise:wer=0.1", "noise:wer=0.3")
ASR_ENGINES = ("asr:whisper-tiny.en", "asr:pocketsphinx")
CONTEXT_WINDOW = 10  # LE-MER's default dialogue context
# Real corpora (DATASETS.md; MSP-Podcast as the issue states it: ~100k+ utterances, ~200 h)
REAL = {
    "iemocap": {"utterances": 5531, "audio_hours": 5531 * 4.5 / 3600, "folds": 5, "train_share": 0.8},
    "msp-podcast": {"utterances": 100_000, "audio_hours": 200.0, "folds": 1, "train_share": 0.65},
}
SEEDS = 3
CHEAP_MODELS = ("majority", "tfidf-lr", "acoustic-lr", "egemaps-lr")  # not neural: not charged in the projection


# ------------------------------------------------------------------------------------------ measuring
def peak_rss_mib() -> float:
    """Peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mib() -> float:
    """Peak resident set of the largest finished child (the ASR engines' subprocesses)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def status_mib() -> dict[str, float]:
    """Current VmRSS / RssAnon / RssFile of this process, MiB (from /proc/self/status)."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def dir_bytes(path: Path) -> int:
    """Bytes on disk of every file under `path` (allocated blocks: the cache's shards are preallocated sparse
    files, so their size says little); 0 when it does not exist."""
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) if path.exists() else 0


@contextmanager
def phase(table: list[dict[str, Any]], name: str, **facts: Any) -> Iterator[dict[str, Any]]:
    """Time a block and record its wall/CPU seconds and the peak RSS at its end into `table`."""
    row: dict[str, Any] = {"phase": name, **facts}
    t0, c0 = time.perf_counter(), time.process_time()
    print(f"[scale] {name} ...", file=sys.stderr, flush=True)
    yield row
    row["seconds"] = round(time.perf_counter() - t0, 2)
    row["cpu_seconds"] = round(time.process_time() - c0, 2)
    row["peak_rss_mib"] = round(peak_rss_mib(), 1)
    row["rss_now_mib"] = {k: round(v, 1) for k, v in status_mib().items()}
    row["open_fds"] = len(os.listdir("/proc/self/fd"))  # the sharded cache holds one descriptor per mapped shard
    table.append(row)
    print(f"[scale] {name}: {row['seconds']} s", file=sys.stderr, flush=True)


def clip_seconds(paths: list[str]) -> list[float]:
    """Durations from the file headers (no decoding)."""
    return [sf.info(p).duration for p in paths]


def stratified_sample(durations: list[float], k: int) -> list[int]:
    """Indices of `k` clips spread evenly over the sorted durations (short, typical and long clips)."""
    order = sorted(range(len(durations)), key=lambda i: durations[i])
    if k >= len(order):
        return order
    step = len(order) / k
    return [order[int(step * j + step / 2)] for j in range(k)]


# ------------------------------------------------------------------------------------------ RSS probe
def rss_probe(cache_dir: str, n: int) -> dict[str, Any]:
    """In a fresh process: read the first `n` cached speech entries through FeatureCache (memmaps), keep them
    referenced as RunData does, touch every value (mean over frames), and report RSS and open descriptors."""
    cache = FeatureCache(cache_dir, "features")
    keys = sorted(key for key, meta in cache.entries() if meta.get("kind") == "speech")
    if len(keys) < n:
        raise SystemExit(f"rss probe: only {len(keys)} speech entries in {cache_dir}, asked for {n}")
    before = status_mib()
    held = {}
    total = 0.0
    for key in keys[:n]:
        got = cache.get(key)
        if got is None:
            raise SystemExit(f"rss probe: cache entry {cache.path(key)} unreadable")
        held[key] = got[0]
        total += float(np.asarray(got[0], dtype=np.float32).mean())
    after = status_mib()
    return {"n": n, "before_mib": before, "after_mib": after, "open_fds": len(os.listdir("/proc/self/fd")),
            "fd_soft_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "checksum": round(total, 3)}


def run_probe(cache_dir: Path, n: int) -> dict[str, Any]:
    """`rss_probe` in a fresh process, so its RSS is the probe's own."""
    cmd = [sys.executable, "-m", "benchmarks.tools.scale", "--rss-probe", str(cache_dir), str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"n": n, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ the run
def measure(root: Path, work: Path, asr_clips: int, max_epochs: int | None, skip_asr: bool) -> dict[str, Any]:
    table: list[dict[str, Any]] = []
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["LEMER_CACHE"] = str(cache)  # weight-hash memos too: nothing comes from an earlier run
    corpus_root = describe_root("iemocap", root)
    data = RunData(DataConfig(roots={"iemocap": corpus_root}, cache_dir=str(cache), progress=True))

    with phase(table, "manifest") as row:
        utts = data.corpus("iemocap", "iemocap-4").utterances
        durations = clip_seconds([u.audio for u in utts])
        row["utterances"] = len(utts)
        row["audio_seconds"] = round(sum(durations), 1)
    n, audio_s = len(utts), sum(durations)
    dist = sorted(durations)
    facts = {"utterances": n, "audio_seconds": round(audio_s, 1), "mean_seconds": round(audio_s / n, 2),
             "median_seconds": round(dist[n // 2], 2), "p99_seconds": round(dist[int(0.99 * (n - 1))], 2),
             "max_seconds": round(dist[-1], 2), "display": corpus_root.display}

    with phase(table, "speech features (from empty cache)", utterances=n) as row:
        speech = data.speech_features("iemocap", "iemocap-4")
        row["frames"] = int(sum(len(a) for a in speech.values()))
        row["computed"] = data.store.computed
        row["cache_mib"] = round(dir_bytes(cache / "features") / 2**20, 1)
    speech_s = table[-1]["seconds"]

    before = dir_bytes(cache / "features")
    with phase(table, "text features gold, context 10 (from empty cache)", utterances=n) as row:
        text = data.text_features("iemocap", "iemocap-4", parse_condition("gold"), CONTEXT_WINDOW)
        row["tokens"] = int(sum(len(a) for a, _ in text.values()))
        row["cache_mib"] = round((dir_bytes(cache / "features") - before) / 2**20, 1)
    text_s = table[-1]["seconds"]

    with phase(table, "speech features again (all cached)", utterances=n) as row:
        fresh = RunData(DataConfig(roots={"iemocap": corpus_root}, cache_dir=str(cache), progress=False))
        fresh._corpora = data._corpora  # noqa: SLF001 - same manifest; time only the cache reads
        again = fresh.speech_features("iemocap", "iemocap-4")
        row["reused"] = fresh.store.reused
        row["computed"] = fresh.store.computed
        assert len(again) == n
        del fresh, again
    # The runner below builds its own RunData; drop this one's memmaps first, so the runs phase's memory is its
    # own (with the old one-file-per-entry cache, both sets of descriptors together hit RLIMIT_NOFILE, 20000 here).
    del speech, text
    data._speech.clear()  # noqa: SLF001
    data._text.clear()  # noqa: SLF001
    gc.collect()

    asr: dict[str, dict[str, Any]] = {}
    if not skip_asr:
        picked = [utts[i] for i in stratified_sample(durations, asr_clips)]
        picked_s = sum(durations[i] for i in stratified_sample(durations, asr_clips))
        for key in ASR_ENGINES:
            with phase(table, f"ASR {key} ({len(picked)} clips, {picked_s:.0f} s audio)") as row:
                hyps = get_source(key, cache_dir=str(work / "asr-cache")).transcribe(picked, progress=False)
                row["wer"] = corpus_wer(picked, hyps)
            asr[key] = {"clips": len(picked), "audio_seconds": round(picked_s, 1),
                        "seconds": table[-1]["seconds"], "s_per_audio_s": table[-1]["seconds"] / picked_s,
                        "wer": table[-1]["wer"], "children_peak_rss_mib": round(children_peak_rss_mib(), 1)}

    runs_dir = work / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    suite_file = work / "scale.toml"
    lemer_cfg = f"\n[model_config.lemer]\nmax_epochs = {max_epochs}\n" if max_epochs else ""
    suite_file.write_text(
        'name = "scale"\nseeds = [0]\nmodels = ["majority", "lemer"]\ntranscripts = ["gold"]\nmax_folds = 1\n'
        '\n[[corpora]]\nname = "iemocap"\nprotocol = "loso"\nlabel_map = "iemocap-4"\n' + lemer_cfg)
    with phase(table, "runs: one loso fold, lemer + majority (features cached)") as row:
        summary = run_suite(load_suite(str(suite_file)), RunOptions(
            out=runs_dir, jobs=1, corpus_roots={"iemocap": str(root)}, cache_dir=str(cache), progress=True,
            generate=False))
        row["summary"] = summary.to_json()
        results = {}
        for p in runs_dir.rglob("result.json"):
            r = json.loads(p.read_text())
            results[r["run"]["model"]] = {"metrics": r["metrics"], "timings": r["timings"], "n_train": r["n_train"],
                                          "n_valid": r["n_valid"], "n_test": r["n_test"]}
        row["results"] = results
    if "lemer" not in results:
        errors = [p.read_text().strip().splitlines()[-1] for p in runs_dir.rglob("error.txt")]
        raise RuntimeError(f"the lemer run failed ({'; '.join(errors)}); see error.txt under {runs_dir}")

    with phase(table, "leaderboard (this run's results)") as row:
        build_leaderboard(runs_dir / "scale", work / "leaderboard")
        row["files"] = len(list((work / "leaderboard").rglob("*")))

    cache_bytes = {"features": dir_bytes(cache / "features"), "transcripts": dir_bytes(work / "asr-cache"),
                   "feature_files": sum(1 for p in (cache / "features").rglob("*") if p.is_file())}
    half = n // 2
    probes = [run_probe(cache, half), run_probe(cache, 2 * half)]
    measured = {
        "corpus": facts, "phases": table, "asr": asr, "cache_bytes": cache_bytes, "rss_probe": probes,
        "speech_s_per_utt": speech_s / n, "speech_s_per_audio_s": speech_s / audio_s, "text_s_per_utt": text_s / n,
        "lemer": results["lemer"], "lemer_epochs": max_epochs, "peak_rss_mib": round(peak_rss_mib(), 1),
        "children_peak_rss_mib": round(children_peak_rss_mib(), 1),
        "machine": {"cpus": os.cpu_count(), "load_at_end": os.getloadavg(), "python": platform.python_version(),
                    "lemer_threads": os.environ.get("LEMER_THREADS")},
    }
    measured["projection"] = project(measured)
    return measured


# ------------------------------------------------------------------------------------------ projection
def project(m: dict[str, Any]) -> dict[str, Any]:
    """Cost of the real suites on this machine from the measured unit costs (every input is in the output)."""
    lemer = m["lemer"]
    measured_epochs = m.get("lemer_epochs") or LEMERConfig().max_epochs
    full_epochs = LEMERConfig().max_epochs  # upper bound: early stopping can only shorten a run
    # seconds per epoch per train+valid utterance (the measured run is taken to have used all its epochs)
    epoch_per_utt = lemer["timings"]["total_s"] / measured_epochs / (lemer["n_train"] + lemer["n_valid"])
    neural, text_reading, independent = [], 0, 0
    for name in MODELS.names():
        if name in CHEAP_MODELS:
            continue
        neural.append(name)
        if describe(name).reads_text:
            text_reading += 1
        else:
            independent += 1
    asr_s_per_audio_s = sum(v["s_per_audio_s"] for v in m["asr"].values()) if m["asr"] else None
    out: dict[str, Any] = {"assumptions": [
        "offline default encoders (all-MiniLM-L6-v2, Whisper tiny.en encoder), frozen; one process, jobs=1",
        "speech cost scales with audio seconds, text cost with utterances (context window 10), per condition",
        f"a LE-MER run trains {full_epochs} epochs (its max_epochs; early stopping can only shorten it), each costing "
        f"what one measured epoch cost per train+valid utterance (measured run: {measured_epochs} epochs)",
        "each neural model's run costs what a LE-MER run costs (an estimate: measured only for lemer); "
        f"{', '.join(CHEAP_MODELS)} are charged nothing",
        "models that read no text run once per fold and seed, the others once per transcript condition",
    ], "neural_models": neural, "lemer_epoch_s_per_utt": epoch_per_utt, "lemer_epochs": full_epochs}
    for corpus, real in REAL.items():
        n, audio_s = real["utterances"], real["audio_hours"] * 3600
        train = real["train_share"] * n
        runs_per_text_model = real["folds"] * SEEDS * len(CONDITIONS)
        runs_per_independent = real["folds"] * SEEDS
        per_run = epoch_per_utt * train * full_epochs
        c = {
            "utterances": n, "audio_hours": round(real["audio_hours"], 1),
            "speech_features_h": m["speech_s_per_audio_s"] * audio_s / 3600,
            "text_features_h": m["text_s_per_utt"] * n * len(CONDITIONS) / 3600,
            "asr_h": None if asr_s_per_audio_s is None else asr_s_per_audio_s * audio_s / 3600,
            "lemer_run_min": per_run / 60,
            "lemer_runs": runs_per_text_model,
            "lemer_only_training_h": per_run * runs_per_text_model / 3600,
            "all_models_training_h": per_run * (text_reading * runs_per_text_model
                                                + independent * runs_per_independent) / 3600,
        }
        shared = c["speech_features_h"] + c["text_features_h"] + (c["asr_h"] or 0.0)
        c["total_lemer_only_h"] = shared + c["lemer_only_training_h"]
        c["total_all_models_h"] = shared + c["all_models_training_h"]
        out[corpus] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in c.items()}
    return out


def render(m: dict[str, Any]) -> str:
    """The human-readable table of a measurement (what docs/performance.md quotes)."""
    c = m["corpus"]
    lines = [f"corpus: {c['display']}  {c['utterances']} utterances, {c['audio_seconds'] / 3600:.2f} h audio "
             f"(mean {c['mean_seconds']} s, median {c['median_seconds']} s, p99 {c['p99_seconds']} s, max {c['max_seconds']} s)",
             "", f"{'phase':<62} {'wall s':>8} {'cpu s':>8} {'peak RSS MiB':>13}"]
    for r in m["phases"]:
        lines.append(f"{r['phase']:<62} {r['seconds']:>8.1f} {r['cpu_seconds']:>8.1f} {r['peak_rss_mib']:>13.0f}")
    lines += ["", f"speech features: {m['speech_s_per_utt'] * 1000:.1f} ms/utt, {m['speech_s_per_audio_s'] * 1000:.2f} ms per audio s;"
              f" text features: {m['text_s_per_utt'] * 1000:.1f} ms/utt (context 10)"]
    for k, v in m["asr"].items():
        lines.append(f"{k}: {v['s_per_audio_s']:.3f} s per audio s (RTF) on {v['clips']} clips, WER {v['wer']}")
    lem = m["lemer"]
    lines.append(f"lemer fold: {lem['timings']['total_s']:.0f} s (fit {lem['timings']['fit_s']:.0f} s) on "
                 f"{lem['n_train']}+{lem['n_valid']} train/valid, {lem['n_test']} test; WA {lem['metrics']['wa']:.3f}")
    cb = m["cache_bytes"]
    lines.append(f"cache: features {cb['features'] / 2**20:.0f} MiB in {cb['feature_files']} files, transcripts "
                 f"{cb['transcripts'] / 2**20:.1f} MiB; peak RSS {m['peak_rss_mib']:.0f} MiB "
                 f"(largest child {m['children_peak_rss_mib']:.0f} MiB; forked children count the parent's pages)")
    for p in m["rss_probe"]:
        if "error" in p:
            lines.append(f"RSS probe n={p['n']}: FAILED: {p['error']}")
        else:
            a, b = p["after_mib"], p["before_mib"]
            lines.append(f"RSS probe n={p['n']}: anon {b['RssAnon']:.0f}->{a['RssAnon']:.0f} MiB, file-backed "
                         f"{b['RssFile']:.0f}->{a['RssFile']:.0f} MiB, open fds {p['open_fds']} (soft limit {p['fd_soft_limit']})")
    lines.append("")
    for corpus in REAL:
        p = m["projection"][corpus]
        asr = "n/a" if p["asr_h"] is None else f"{p['asr_h']:.1f}"
        lines.append(f"projection {corpus} ({p['utterances']} utts, {p['audio_hours']} h): speech {p['speech_features_h']:.1f} h"
                     f" + text x{len(CONDITIONS)} {p['text_features_h']:.1f} h + ASR x2 {asr} h + LE-MER {p['lemer_runs']} runs "
                     f"x {p['lemer_run_min']:.1f} min = {p['total_lemer_only_h']:.1f} h; all neural models "
                     f"{p['total_all_models_h']:.1f} h")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", help="IEMOCAP-layout corpus root (e.g. a `--scale full` synthetic tree)")
    ap.add_argument("--out", type=Path, default=None, help="write every measured number here (JSON)")
    ap.add_argument("--work", type=Path, default=None, help="scratch dir for caches and runs (default: a temp dir, removed)")
    ap.add_argument("--asr-clips", type=int, default=60, help="clips (duration-stratified) for the ASR cost")
    ap.add_argument("--skip-asr", action="store_true")
    ap.add_argument("--max-epochs", type=int, default=None, help="cap LE-MER's epochs (default: LE-MER's own)")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="re-project and print a saved measurement (--out of an earlier run) without measuring")
    ap.add_argument("--rss-probe", nargs=2, metavar=("CACHE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_probe:
        print(json.dumps(rss_probe(args.rss_probe[0], int(args.rss_probe[1]))))
        return 0
    if args.from_json:
        m = json.loads(args.from_json.read_text())
        if m.get("lemer_epochs") is None and "--max-epochs" in m.get("argv", []):
            m["lemer_epochs"] = int(m["argv"][m["argv"].index("--max-epochs") + 1])
        m["projection"] = project(m)
        print(render(m))
        if args.out:
            _write_json(args.out, m)
        return 0
    if not args.root:
        ap.error("--root is required")
    root = Path(args.root).resolve()
    if not (root / "Session1").is_dir():
        ap.error(f"{root}: not an IEMOCAP_full_release tree (no Session1/)")
    work = args.work or Path(tempfile.mkdtemp(prefix="lemer-scale-"))
    try:
        m = measure(root, work, args.asr_clips, args.max_epochs, args.skip_asr)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    m["argv"] = sys.argv[1:] if argv is None else argv
    print(render(m))
    if args.out:
        _write_json(args.out, m)
    return 0


def _write_json(path: Path, m: dict[str, Any]) -> None:
    """Atomically (temp file + os.replace), so a killed run never leaves half a JSON."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(m, indent=1, default=str))
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())

"""Suite parsing (errors name the file and line) and grid expansion (counts, dedup, naming, paths)."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.corpora import CorpusRoot
from benchmarks.run.grid import expand
from benchmarks.suite import SuiteError, list_suites, load_suite
from lemer.core.spec import RunSpec
from tests.support.runs import write_suite

pytestmark = pytest.mark.usefixtures("test_models")

ROOTS = {
    "iemocap": CorpusRoot("iemocap", "/x/iemocap", "synthetic-iemocap", True),
    "msp-podcast": CorpusRoot("msp-podcast", "/x/msp", "msp-podcast", False),
    "crema-d": CorpusRoot("crema-d", "/x/crema", "synthetic-crema-d", True),
}
FOLDS = {"iemocap": ["test=Session1", "test=Session2", "test=Session3"], "msp-podcast": ["test=Test1"],
         "crema-d": [f"test=fold{i}" for i in range(1, 6)]}


def fold_names(corpus: str, label_map: str, protocol: str, task: str = "categorical") -> list[str]:
    return FOLDS[corpus]


def _suite(tmp_path: Path, body: str) -> Path:
    return write_suite(tmp_path / "s.toml", body)


def test_every_bundled_suite_parses_and_names_itself() -> None:
    names = list_suites()
    assert {"demo", "paper", "full", "cross-corpus", "ablations"} <= set(names)
    for n in names:
        assert load_suite(n).name == n


def test_demo_suite_is_synthetic_and_writes_leaderboard() -> None:
    s = load_suite("demo")
    assert s.leaderboard
    assert s.needed_corpora() == {"iemocap": True, "msp-podcast": True, "crema-d": True}
    assert s.cross_corpus is None  # the cross-corpus suite's; trimmed from the demo's budget
    iemocap, babble, noisy, tasks, msp = s.corpora[:5]
    assert {c.key for c in iemocap.transcripts} == {"gold"} and iemocap.max_folds == 0
    assert [a.key for a in iemocap.audio] == ["clean"] and [a.key for a in babble.audio] == ["snr=5,noise=babble"]
    assert [t.key for t in noisy.transcripts] == ["noise:wer=0.3"] and babble.max_folds == noisy.max_folds == 2
    assert tasks.name == "iemocap" and tasks.tasks == ("dimensional", "soft")
    assert {c.key for c in msp.transcripts} == {"gold"}


def test_paper_suite_uses_paper_encoders_on_real_iemocap() -> None:
    s = load_suite("paper")
    assert (s.text_encoder, s.speech_encoder) == ("bert-base-uncased", "facebook/wav2vec2-base")
    assert s.needed_corpora() == {"iemocap": False}
    assert (s.corpora[0].protocol, s.corpora[0].label_map) == ("loso", "iemocap-4")
    assert s.corpora[0].refit and s.model_config["lemer"]["pretrain_steps"] == 2000


@pytest.mark.parametrize("body, needle", [
    ('name = "x"\nsedes = [0]\n[[corpora]]\nname = "iemocap"\n', "s.toml:2: unknown key 'sedes'"),
    ('models = ["majorty"]\n[[corpora]]\nname = "iemocap"\n', "did you mean majority"),
    ('transcripts = ["asr"]\n[[corpora]]\nname = "iemocap"\n', "bad transcript condition 'asr'"),
    ('[[corpora]]\nname = "iemocap"\nlabel_map = "crema-6"\n', "s.toml:3: label map 'crema-6' does not apply to corpus 'iemocap'"),
    ('[[corpora]]\nname = "imocap"\n', "unknown corpus 'imocap'"),
    ('seeds = [0, 0]\n[[corpora]]\nname = "iemocap"\n', "lists a seed twice"),
    ('name = "x"\n', "runs nothing"),
    ('[cross_corpus]\ncorpora = ["iemocap"]\n', "at least two corpora"),
    ('name = "x"\n[[corpora]\n', "invalid TOML"),
])
def test_bad_suites_name_file_line_and_cause(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(SuiteError) as e:
        load_suite(str(_suite(tmp_path, body)))
    assert needle in str(e.value)
    assert str(tmp_path / "s.toml") in str(e.value)


def test_unknown_bundled_suite_suggests() -> None:
    with pytest.raises(SuiteError, match="did you mean demo"):
        load_suite("dmeo")


GRID = """
name = "g"
seeds = [0, 1]
models = ["majority", "test-keyword-text"]
transcripts = ["gold", "noise:wer=0.1", "noise:wer=0.3"]

[[corpora]]
name = "iemocap"
label_map = "iemocap-4"

[[corpora]]
name = "crema-d"
transcripts = ["gold"]
seeds = [0]
max_folds = 2

[model_config.test-slow]
seconds = 0.01

[[ablations]]
model = "test-slow"
param = "seconds"
values = [0.0, 0.02]
corpora = ["iemocap"]
transcripts = ["gold"]
seeds = [0]

[cross_corpus]
corpora = ["iemocap", "crema-d"]
models = ["majority", "test-keyword-text"]
seeds = [3]
"""


def test_grid_expansion_counts_dedup_overrides(tmp_path: Path) -> None:
    runs = expand(load_suite(str(_suite(tmp_path, GRID))), ROOTS, fold_names)
    within_iem = [r for r in runs if r.adapter == "iemocap" and r.kind == "within" and not r.ablation]
    # text model: 3 transcripts x 2 seeds x 3 folds; majority (no text): once per seed x fold
    assert len([r for r in within_iem if r.model == "test-keyword-text"]) == 18
    maj = [r for r in within_iem if r.model == "majority"]
    assert len(maj) == 6 and all(r.transcript.is_gold and r.transcript_independent for r in maj)
    crema = [r for r in runs if r.adapter == "crema-d" and not r.cross_corpus]
    assert len(crema) == 2 * 1 * 2 and {r.fold for r in crema} == {"test=fold1", "test=fold2"}  # max_folds
    abl = [r for r in runs if r.ablation]
    assert len(abl) == 2 * 3 and {r.ablation.value for r in abl} == {0.0, 0.02}
    assert all(r.model_config["seconds"] == r.ablation.value for r in abl)
    cross = [r for r in runs if r.cross_corpus]
    assert len(cross) == 2 * 2  # (A->B, B->A) x 2 models x 1 transcript x 1 seed
    c = next(r for r in cross if r.train_adapter == "iemocap")
    assert c.to_json()["corpus"] == "synthetic-crema-d" and c.to_json()["train_corpus"] == "synthetic-iemocap"
    assert c.fold == "train=synthetic-iemocap" and c.label_map == "shared-4" and c.protocol == "loso"
    assert c.relpath().parts[2] == "cross-corpus"
    # every run has its own directory and its own id
    assert len({r.relpath() for r in runs}) == len(runs) == len({r.run_id for r in runs})


def test_paths_follow_the_schema_convention(tmp_path: Path) -> None:
    runs = expand(load_suite(str(_suite(tmp_path, GRID))), ROOTS, fold_names)
    r = next(r for r in runs if r.model == "test-keyword-text" and r.transcript.key == "noise:wer=0.1")
    assert r.relpath() == Path("g/synthetic-iemocap/loso/iemocap-4/noise-wer=0.1/test-keyword-text/seed=0/test=Session1")
    a = next(r for r in runs if r.ablation)
    assert a.relpath().parts[5] == "test-slow+seconds=0.0"
    assert RunSpec.from_json(r.to_json(), r.model_target) == r  # the result's run record is the serialised spec


def test_only_models_filters_and_refuses_models_outside_the_suite(tmp_path: Path) -> None:
    suite = load_suite(str(_suite(tmp_path, GRID)))
    runs = expand(suite, ROOTS, fold_names, only_models=["majority"])
    assert runs and {r.model for r in runs} == {"majority"}
    with pytest.raises(SuiteError, match="test-failing not part of suite"):
        expand(suite, ROOTS, fold_names, only_models=["majority", "test-failing"])


def test_transcript_models_restrict_who_runs_under_a_condition(tmp_path: Path) -> None:
    body = GRID.replace('[model_config.test-slow]', '[transcript_models]\n"noise:wer=0.3" = ["majority"]\n\n[model_config.test-slow]')
    runs = expand(load_suite(str(_suite(tmp_path, body))), ROOTS, fold_names)
    kw = [r for r in runs if r.model == "test-keyword-text" and r.adapter == "iemocap" and r.kind == "within"]
    assert {r.transcript.key for r in kw} == {"gold", "noise:wer=0.1"} and len(kw) == 12
    assert len([r for r in runs if r.model == "majority" and r.kind == "within" and r.adapter == "iemocap"]) == 6


def test_run_id_changes_with_config(tmp_path: Path) -> None:
    runs = expand(load_suite(str(_suite(tmp_path, GRID))), ROOTS, fold_names)
    a, b = [r for r in runs if r.ablation and r.seed == 0 and r.fold == "test=Session1"]
    assert a.run_id != b.run_id


@pytest.mark.parametrize("line, needle", [
    ('transcripts = ["asr:whisper-base"]', "did you mean asr:whisper-tiny.en"),
    ('transcripts = ["noise:wer=.5", "noise:wer=0.50"]', "names one condition twice"),
    ('models = ["lemr"]', "did you mean lemer"),
])
def test_suite_typos_fail_at_parse_time_with_a_hint(tmp_path: Path, line: str, needle: str) -> None:
    """Nothing is generated or computed before these are caught: load_suite reads only the TOML."""
    body = f'{line}\n[[corpora]]\nname = "iemocap"\nsynthetic = true\n'
    with pytest.raises(SuiteError, match=needle):
        load_suite(str(_suite(tmp_path, body)))


@pytest.mark.parametrize("key, value, needle", [
    ("protocol", "lsoo", "did you mean loso"),
    ("label_map", "iemocap4", "did you mean iemocap-4"),
    ("name", "iemocapp", "did you mean iemocap"),
])
def test_corpus_typos_fail_at_parse_time_with_a_hint(tmp_path: Path, key: str, value: str, needle: str) -> None:
    entry = {"name": "iemocap", "protocol": "loso", "label_map": "iemocap-4", key: value}
    body = "[[corpora]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items())
    with pytest.raises(SuiteError, match=needle):
        load_suite(str(_suite(tmp_path, body)))

"""Hugging Face `datasets` interop: on-disk corpus -> `data export --format hf` -> `hf:` corpus, checks, mapping."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

import datasets
import pyarrow as pa
import pytest

from benchmarks import load_corpus, load_results, make_folds, run_suite
from benchmarks.cli import main
from benchmarks.corpora import resolve_roots
from dataset_adapters.hf_dataset import PROVENANCE_FILE
from dataset_adapters.load import load_report
from dataset_adapters.synth.marker import write_marker
from dataset_adapters.types import CorpusError
from tests.support.corpora import iemocap_tree, make_crema, make_msp, quirky_iemocap
from tests.support.runs import SMALL_SUITE, write_suite

BUILDERS: dict[str, Callable[[Path], Path]] = {"iemocap": quirky_iemocap, "msp-podcast": make_msp, "crema-d": make_crema}


def _export(corpus: str, root: Path | str, out: Path, *extra: str) -> None:
    assert main(["data", "export", corpus, "--root", str(root), "--format", "hf", "--out", str(out), *extra]) == 0


def _rewrite(src: Path, dst: Path, edit: Callable[[pa.Table], pa.Table]) -> Path:
    """Save an edited copy of a saved dataset (through Arrow: no audio codec needed)."""
    ds = datasets.load_from_disk(str(src))
    table = edit(ds.with_format("arrow")[:])
    datasets.Dataset(table).save_to_disk(str(dst))
    return dst


def _set(table: pa.Table, column: str, values: list) -> pa.Table:
    i = table.column_names.index(column)
    return table.set_column(i, column, pa.array(values, type=table.schema.field(column).type))


@pytest.mark.parametrize("corpus", sorted(BUILDERS))
def test_round_trip_gives_the_same_manifest_and_folds(tmp_path: Path, corpus: str) -> None:
    tree = BUILDERS[corpus](tmp_path / "tree")
    _export(corpus, tree, tmp_path / "hf")
    on_disk = load_corpus(corpus, tree)
    from_hf = load_corpus(corpus, f"hf:{tmp_path / 'hf'}")
    assert [replace(u, audio="") for u in from_hf] == [replace(u, audio="") for u in on_disk]
    assert all(Path(a.audio).samefile(b.audio) for a, b in zip(from_hf, on_disk))
    assert make_folds(corpus, from_hf) == make_folds(corpus, on_disk)
    prov = json.loads((tmp_path / "hf" / PROVENANCE_FILE).read_text())
    assert prov["corpus"] == corpus and prov["synthetic"] is False and prov["n_utterances"] == len(on_disk)
    # The saved dataset is an ordinary `datasets` folder with the documented columns.
    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    assert {"uid", "speaker", "session", "partition", "label", "label_raw", "transcript", "context", "start", "end",
            "audio", "audio_path"} <= set(ds.column_names)
    assert isinstance(ds.features["audio"], datasets.Audio)


def test_folds_from_the_cli_agree_for_tree_and_dataset(tmp_path: Path) -> None:
    tree = quirky_iemocap(tmp_path / "tree")
    _export("iemocap", tree, tmp_path / "hf")
    assert main(["data", "folds", "iemocap", "--root", str(tree), "--protocol", "loso", "--out", str(tmp_path / "a")]) == 0
    assert main(["data", "folds", "iemocap", "--root", f"hf:{tmp_path / 'hf'}", "--protocol", "loso",
                 "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a").read_text() == (tmp_path / "b").read_text()


def test_dataset_without_speaker_column_is_refused_naming_dataset_and_column(tmp_path: Path, capsys) -> None:
    tree = make_crema(tmp_path / "tree")
    _export("crema-d", tree, tmp_path / "hf")
    bare = _rewrite(tmp_path / "hf", tmp_path / "nospk", lambda t: t.drop_columns(["speaker"]))
    with pytest.raises(CorpusError, match="speaker") as e:
        load_corpus("crema-d", f"hf:{bare}")
    assert str(bare) in str(e.value) and "speaker-disjoint" in str(e.value)
    assert main(["data", "folds", "crema-d", "--root", f"hf:{bare}", "--protocol", "speaker-5fold",
                 "--out", str(tmp_path / "f.json")]) == 2
    err = capsys.readouterr().err
    assert str(bare) in err and "'speaker'" in err
    assert not (tmp_path / "f.json").exists()


def test_column_mapping_reads_differently_named_columns(tmp_path: Path) -> None:
    tree = quirky_iemocap(tmp_path / "tree")
    _export("iemocap", tree, tmp_path / "hf")
    renamed = _rewrite(tmp_path / "hf", tmp_path / "renamed",
                       lambda t: t.rename_columns(["spk_id" if c == "speaker" else "emotion" if c == "label_raw"
                                                   else "wav" if c == "audio_path" else c for c in t.column_names]))
    with pytest.raises(CorpusError, match="speaker"):
        load_corpus("iemocap", f"hf:{renamed}")
    mapped = load_corpus("iemocap", f"hf:{renamed}?speaker=spk_id&label=emotion&audio_path=wav")
    assert mapped == load_corpus("iemocap", f"hf:{tmp_path / 'hf'}")
    with pytest.raises(CorpusError, match="no column 'spk'"):
        load_corpus("iemocap", f"hf:{renamed}?speaker=spk")
    with pytest.raises(ValueError, match="unknown field 'mood'"):
        load_corpus("iemocap", f"hf:{renamed}?mood=spk_id")


def test_bad_rows_go_through_the_same_errors_and_counted_skips_as_on_disk(tmp_path: Path) -> None:
    tree = quirky_iemocap(tmp_path / "tree")
    _export("iemocap", tree, tmp_path / "hf")
    good = load_corpus("iemocap", f"hf:{tmp_path / 'hf'}")

    def damage(t: pa.Table) -> pa.Table:
        labels = t.column("label_raw").to_pylist()
        paths = t.column("audio_path").to_pylist()
        labels[0] = "zzz"
        paths[1] = str(tmp_path / "gone.wav")
        return _set(_set(t, "label_raw", labels), "audio_path", paths)

    bad = _rewrite(tmp_path / "hf", tmp_path / "bad", damage)
    with pytest.raises(CorpusError) as e:
        load_corpus("iemocap", f"hf:{bad}")
    msg = str(e.value)
    assert "2 problem(s)" in msg and f"{bad} row 0" in msg and "unknown iemocap label code 'zzz'" in msg
    assert "gone.wav: audio file missing" in msg
    report = load_report("iemocap", f"hf:{bad}", on_error="skip")
    assert len(report.skipped) == 2 and len(report.utterances) == len(good) - 2
    kept = {u.uid for u in report.utterances}
    assert all(c in kept for u in report.utterances for c in u.context)  # context never names a skipped row


def test_label_map_is_reapplied_from_the_raw_label(tmp_path: Path) -> None:
    tree = quirky_iemocap(tmp_path / "tree")
    _export("iemocap", tree, tmp_path / "hf6", "--label-map", "iemocap-6")
    six = load_corpus("iemocap", f"hf:{tmp_path / 'hf6'}", label_map="iemocap-6")
    four = load_corpus("iemocap", f"hf:{tmp_path / 'hf6'}", label_map="iemocap-4")
    assert six == load_corpus("iemocap", tree, label_map="iemocap-6")
    assert four == load_corpus("iemocap", tree, label_map="iemocap-4")


def test_synthetic_export_stays_labelled_synthetic(tmp_path: Path) -> None:
    tree = quirky_iemocap(tmp_path / "tree")
    write_marker(tree, {"synthetic": True, "layout": "iemocap", "scale": "tiny", "seed": 0, "generator_version": "t"})
    _export("iemocap", tree, tmp_path / "hf")
    roots = resolve_roots({"iemocap": False}, {"iemocap": f"hf:{tmp_path / 'hf'}"}, generate=False)
    assert roots["iemocap"].display == "synthetic-iemocap" and roots["iemocap"].synthetic


def test_export_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    tree = make_crema(tmp_path / "tree")
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "keep.txt").write_text("mine")
    assert main(["data", "export", "crema-d", "--root", str(tree), "--format", "hf", "--out", str(tmp_path / "hf")]) == 2
    assert (tmp_path / "hf" / "keep.txt").read_text() == "mine"
    assert "exists" in capsys.readouterr().err


def test_run_on_a_hf_corpus_matches_the_run_on_the_tree(tmp_path: Path, test_models: None) -> None:
    tree = iemocap_tree(tmp_path / "c", sessions=3, per_speaker=4)
    _export("iemocap", tree, tmp_path / "hf")
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE)
    a = run_suite(suite, corpora={"iemocap": tree}, out=tmp_path / "ra", progress=False)
    b = run_suite(suite, corpora={"iemocap": f"hf:{tmp_path / 'hf'}"}, out=tmp_path / "rb", progress=False)
    assert a.runs_failed == b.runs_failed == 0 and a.runs_done == b.runs_done > 0
    cols = ["model", "corpus", "fold", "seed", "wa", "ua", "macro_f1", "n", "manifest_hash"]
    ra, rb = load_results(tmp_path / "ra")[cols], load_results(tmp_path / "rb")[cols]
    assert ra.equals(rb)


def test_audio_column_paths_resolve_against_the_dataset_folder_and_embedded_only_audio_is_refused(tmp_path: Path) -> None:
    import shutil

    tree = make_crema(tmp_path / "tree")
    _export("crema-d", tree, tmp_path / "hf")
    only_audio = _rewrite(tmp_path / "hf", tmp_path / "only_audio", lambda t: t.drop_columns(["audio_path"]))
    # save_to_disk embedded the bytes and kept base names: no file is reachable, so every row is refused.
    with pytest.raises(CorpusError, match="audio file missing"):
        load_corpus("crema-d", f"hf:{only_audio}")
    on_disk = load_corpus("crema-d", tree)
    for u in on_disk:  # put the clips where the relative paths point
        shutil.copy(u.audio, only_audio / Path(u.audio).name)
    from_hf = load_corpus("crema-d", f"hf:{only_audio}")
    assert [replace(u, audio="") for u in from_hf] == [replace(u, audio="") for u in on_disk]
    assert all(Path(u.audio).parent == only_audio.resolve() for u in from_hf)


def test_class_label_column_is_read_by_class_name(tmp_path: Path) -> None:
    """HF datasets often hold labels as ClassLabel ids; the names are the raw codes for the label map."""
    tree = make_crema(tmp_path / "tree")
    _export("crema-d", tree, tmp_path / "hf")
    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    table = ds.with_format("arrow")[:]
    names = sorted(set(table.column("label_raw").to_pylist()))
    ids = [names.index(v) for v in table.column("label_raw").to_pylist()]
    table = table.drop_columns(["label_raw", "label"]).append_column("emotion", pa.array(ids, type=pa.int64()))
    features = datasets.Features({**{k: v for k, v in ds.features.items() if k not in ("label_raw", "label")},
                                  "emotion": datasets.ClassLabel(names=names)})
    datasets.Dataset(table.cast(features.arrow_schema), info=datasets.DatasetInfo(features=features)) \
        .save_to_disk(str(tmp_path / "cl"))
    assert load_corpus("crema-d", f"hf:{tmp_path / 'cl'}?label=emotion") == load_corpus("crema-d", f"hf:{tmp_path / 'hf'}")


def test_malformed_mapping_and_missing_folder_are_clear_errors(tmp_path: Path, capsys) -> None:
    with pytest.raises(ValueError, match="FIELD=COLUMN pairs"):
        load_corpus("iemocap", f"hf:{tmp_path}?speaker")
    assert main(["data", "check", "iemocap", "--root", f"hf:{tmp_path / 'nope'}"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_dims_votes_and_gender_round_trip_and_datasets_without_them_still_read(tmp_path: Path) -> None:
    tree = make_msp(tmp_path / "tree")
    _export("msp-podcast", tree, tmp_path / "hf")
    on_disk = load_report("msp-podcast", tree)
    from_hf = load_report("msp-podcast", f"hf:{tmp_path / 'hf'}")
    strip = lambda us: [replace(u, audio="") for u in us]  # noqa: E731
    assert strip(from_hf.utterances) == strip(on_disk.utterances)
    assert all(u.dims and u.votes and u.votes.annotators == 5 for u in from_hf.utterances)
    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    assert {"gender", "dims", "votes"} <= set(ds.column_names)
    bare = _rewrite(tmp_path / "hf", tmp_path / "bare", lambda t: t.drop_columns(["gender", "dims", "votes"]))
    plain = load_corpus("msp-podcast", f"hf:{bare}")
    assert [replace(u, gender=None, dims=None, votes=None, audio="") for u in on_disk.utterances] == strip(plain)
    # flat columns from elsewhere (e.g. MSP-Podcast's own names) map onto dims on the corpus's scale
    flat = _rewrite(tmp_path / "hf", tmp_path / "flat", lambda t: t.drop_columns(["dims"]).append_column(
        "EmoAct", pa.array([4.2] * t.num_rows)).append_column("EmoVal", pa.array([3.8] * t.num_rows))
        .append_column("EmoDom", pa.array([4.0] * t.num_rows)))
    mapped = load_corpus("msp-podcast", f"hf:{flat}?arousal=EmoAct&valence=EmoVal&dominance=EmoDom")
    assert {u.dims for u in mapped} == {on_disk.utterances[0].dims}


def test_hf_votes_are_remapped_through_the_reading_label_map_and_no_consensus_rows_are_routed(tmp_path: Path) -> None:
    from dataset_adapters.hf_dataset import export_dataset

    tree = quirky_iemocap(tmp_path / "tree")
    six = load_report("iemocap", tree, label_map="iemocap-6")
    export_dataset(six.all_utterances(), tmp_path / "hf", {"corpus": "iemocap", "label_map": "iemocap-6"})
    four_hf = load_report("iemocap", f"hf:{tmp_path / 'hf'}", label_map="iemocap-4")
    four_tree = load_report("iemocap", tree, label_map="iemocap-4")
    for part in ("utterances", "no_consensus", "outside_map"):
        assert [(u.uid, u.label, u.votes) for u in getattr(four_hf, part)] == \
               [(u.uid, u.label, u.votes) for u in getattr(four_tree, part)], part
    assert four_hf.filtered == four_tree.filtered


def test_hf_rows_with_bad_annotations_are_problems(tmp_path: Path) -> None:
    tree = make_msp(tmp_path / "tree")
    _export("msp-podcast", tree, tmp_path / "hf")

    def damage(t: pa.Table) -> pa.Table:
        genders = t.column("gender").to_pylist()
        genders[0] = "robot"
        dims = t.column("dims").to_pylist()
        dims[1] = {**dims[1], "arousal": 9.0}
        return _set(_set(t, "gender", genders), "dims", dims)

    bad = _rewrite(tmp_path / "hf", tmp_path / "bad", damage)
    with pytest.raises(CorpusError) as e:
        load_corpus("msp-podcast", f"hf:{bad}")
    assert sorted(p.path.rsplit(" ", 1)[-1] for p in e.value.problems) == ["0", "1"]
    assert "unknown gender 'robot'" in str(e.value) and "outside the 1-7 scale" in str(e.value)

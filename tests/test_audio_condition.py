"""The AUDIO condition type: canonical keys, refusals with one-line messages, ordering, no project imports."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from lemer.core.audio_condition import AudioCondition, AudioConditionError, canonical


@pytest.mark.parametrize("written, key", [
    ("clean", "clean"),
    ("snr=5", "snr=5,noise=pink"),
    ("snr=5.0,noise=pink", "snr=5,noise=pink"),
    ("snr=05.00, seed=0", "snr=5,noise=pink"),
    ("snr=-0", "snr=0,noise=pink"),
    ("snr=-2.5,seed=3,noise=white", "snr=-2.5,noise=white,seed=3"),
    ("reverb=rt60:.5", "reverb=rt60:0.5"),
    ("telephone+snr=10,seed=2,noise=babble+reverb=rt60:0.50", "reverb=rt60:0.5+snr=10,noise=babble,seed=2+telephone"),
    ("snr=10,noise=babble + telephone", "snr=10,noise=babble+telephone"),
    ("telephone+reverb=rt60:1,seed=7", "reverb=rt60:1,seed=7+telephone"),
    ("snr=0,noise=./street/", "snr=0,noise=./street"),
    ("snr=0,noise=street/cars", "snr=0,noise=street/cars"),
    ("snr=60,noise=/data//noise", "snr=60,noise=/data/noise"),
])
def test_canonical_keys(written: str, key: str) -> None:
    cond = AudioCondition.parse(written)
    assert cond.key == key == canonical(key)
    assert AudioCondition.parse(cond.key) == cond  # the canonical key reads back as the same condition


def test_order_of_components_does_not_matter() -> None:
    parts = ["reverb=rt60:0.3", "snr=5,noise=white", "telephone"]
    keys = {AudioCondition.parse("+".join(p)).key for p in (parts, parts[::-1], [parts[1], parts[0], parts[2]])}
    assert keys == {"reverb=rt60:0.3+snr=5,noise=white+telephone"}


def test_fields_and_clean() -> None:
    c = AudioCondition.parse("reverb=rt60:0.4,seed=1+snr=3,noise=./n")
    assert (c.rt60, c.reverb_seed, c.snr_db, c.noise, c.noise_seed, c.telephone) == (0.4, 1, 3.0, "./n", 0, False)
    assert c.components == ("reverb", "snr") and c.noise_folder == "./n" and not c.is_clean
    assert AudioCondition.parse("clean").is_clean and AudioCondition() == AudioCondition.parse("clean")
    assert AudioCondition.parse("snr=3,noise=babble").noise_folder is None


@pytest.mark.parametrize("key, message", [
    ("snr=-11", r"SNR -11 dB is outside the allowed range \[-10, 60\] dB"),
    ("snr=61", r"SNR 61 dB is outside the allowed range \[-10, 60\] dB"),
    ("reverb=rt60:0.1", r"RT60 0.1 s is outside the allowed range \[0.2, 1.0\] s"),
    ("reverb=rt60:1.5", r"RT60 1.5 s is outside the allowed range \[0.2, 1.0\] s"),
    ("revreb=rt60:0.5", r"unknown audio condition component 'revreb'.*did you mean 'reverb=rt60:0.5'\?"),
    ("telephon", r"did you mean 'telephone'\?"),
    ("snr=5+snr=10", r"duplicate component 'snr'"),
    ("telephone+telephone", r"duplicate component 'telephone'"),
    ("snr=5,seed=1,seed=2", r"duplicate option 'seed'"),
    ("snr=5,noise=white,noise=pink", r"duplicate option 'noise'"),
    ("snr=5,nosie=white", r"unknown option 'nosie=white'.*did you mean 'noise'\?"),
    ("snr=5,noise=pnik", r"unknown noise 'pnik'.*did you mean 'pink'\?.*noise=./pnik"),
    ("clean+telephone", r"clean cannot be combined"),
    ("telephone=1", r"telephone takes no value"),
    ("reverb=0.5", r"expected reverb=rt60:<s>"),
    ("snr=nan", r"expected snr=<dB>"),
    ("snr=1e3", r"expected snr=<dB>"),
    ("snr=5,seed=x", r"bad seed 'x'"),
    ("snr=5+", r"empty component"),
    ("", r"non-empty string"),
])
def test_refusals_are_one_line_and_say_why(key: str, message: str) -> None:
    with pytest.raises(AudioConditionError, match=message) as e:
        AudioCondition.parse(key)
    assert "\n" not in str(e.value) and isinstance(e.value, ValueError)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(AudioConditionError, match="allowed range"):
        AudioCondition(snr_db=70.0, noise="pink")
    with pytest.raises(AudioConditionError, match="together"):
        AudioCondition(snr_db=5.0)


def test_sort_key_clean_first_then_severity() -> None:
    keys = ["telephone", "snr=0,noise=pink", "reverb=rt60:0.8", "snr=20,noise=pink", "clean",
            "reverb=rt60:0.3", "snr=-5,noise=pink", "reverb=rt60:0.3+snr=5,noise=pink"]
    ordered = [c.key for c in sorted(map(AudioCondition.parse, keys), key=AudioCondition.sort_key)]
    assert ordered == ["clean", "reverb=rt60:0.3", "reverb=rt60:0.8", "snr=20,noise=pink", "snr=0,noise=pink",
                       "snr=-5,noise=pink", "telephone", "reverb=rt60:0.3+snr=5,noise=pink"]


def test_condition_module_imports_only_the_standard_library_and_the_core() -> None:
    src = Path(sys.modules[AudioCondition.__module__].__file__).read_text()
    roots = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots and roots <= set(sys.stdlib_module_names) | {"__future__", "lemer"}, roots  # lemer.core: tests/test_layers.py

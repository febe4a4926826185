"""The AUDIO condition of a run, parsed once from its key: `clean`, or components joined by `+`.

Grammar (the canonical key lists components in this order, whatever order the key was written in):

    clean
    reverb=rt60:<s>[,seed=<n>]                              RT60 in [0.2, 1.0] s
    snr=<dB>[,noise=white|pink|babble|<folder>][,seed=<n>]  SNR in [-10, 60] dB; default noise: pink
    telephone                                               300-3400 Hz, 8 kHz, 8-bit mu-law

Examples: `snr=5.0` -> `snr=5,noise=pink`; `telephone+snr=10,seed=2,noise=babble+reverb=rt60:.5` ->
`reverb=rt60:0.5+snr=10,noise=babble,seed=2+telephone`. `seed=0` is the default and is not written.

Why this order: it is the path sound takes. Speech reverberates in the room; noise adds at the
microphone (a recorded noise already carries its own room, so it is not reverberated again); the
telephone channel then carries the mixture, band-limiting speech and noise alike and quantising both.
The SNR is therefore that of the (possibly reverberant) speech against the noise before the channel.

Why pink by default: it needs nothing but a seed (babble needs a pool of other clips, a folder needs
files), and its 1/f spectrum is closer to everyday background noise than white noise, which mostly
masks the high frequencies speech has little energy in. The canonical key always names the noise, so
results stay readable if the default ever changes.

Why RT60 within [0.2, 1.0] s: 0.2 s is a heavily damped small room; below it the simulated rooms
(5-9 m long) would need wall absorption above 1. 1.0 s is a reverberant lecture room; the image-source
simulation costs ~RT60^3 (2.9 s per room at 1.0 s, 13 s at 1.5 s, measured), and common ASR
benchmarks (REVERB challenge: 0.25-0.7 s) stay below it.

A folder of noise files must be written with a `/` (`noise=./street`, `noise=/data/noise`), so a
misspelt `noise=pnik` gets a did-you-mean instead of becoming a folder that is missing at run time; it
must not hold `,`, `+` or `=`. Every mistake is an `AudioConditionError` with a one-line message. The
degradation itself (noise, rooms, the channel) is `benchmarks/audio/`; this is the value a run spec holds.
"""
from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass

from lemer.core.errors import InputError

SNR_RANGE = (-10.0, 60.0)  # dB, inclusive
RT60_RANGE = (0.2, 1.0)  # seconds, inclusive
NOISE_KINDS = ("white", "pink", "babble")
DEFAULT_NOISE = "pink"
ORDER = ("reverb", "snr", "telephone")  # the canonical (physical) order; see the module docstring
GRAMMAR = ("clean", "reverb=rt60:<s>[,seed=<n>]", "snr=<dB>[,noise=white|pink|babble|<folder>][,seed=<n>]",
           "telephone")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_OPTIONS = {"snr": ("noise", "seed"), "reverb": ("seed",)}


class AudioConditionError(InputError):
    """A malformed audio condition key; the message says what is wrong and what is allowed."""


def _num(v: float) -> str:
    """The shortest spelling that reads back as `v` (`5.0` -> `5`, `.5` -> `0.5`)."""
    s = f"{v:g}"
    return s if float(s) == v else repr(v)


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class AudioCondition:
    """One audio condition; `key` is its canonical spelling. Fields of absent components are None/False."""

    rt60: float | None = None  # reverb: the requested RT60 in seconds
    reverb_seed: int = 0
    snr_db: float | None = None  # additive noise: the target SNR over the speech-active part of the clip
    noise: str | None = None  # white | pink | babble | a folder (contains '/'); set exactly when snr_db is
    noise_seed: int = 0
    telephone: bool = False

    def __post_init__(self) -> None:
        if self.rt60 is not None and not RT60_RANGE[0] <= self.rt60 <= RT60_RANGE[1]:
            raise AudioConditionError(f"RT60 {_num(self.rt60)} s is outside the allowed range "
                                      f"[{RT60_RANGE[0]:.1f}, {RT60_RANGE[1]:.1f}] s")
        if self.snr_db is not None and not SNR_RANGE[0] <= self.snr_db <= SNR_RANGE[1]:
            raise AudioConditionError(f"SNR {_num(self.snr_db)} dB is outside the allowed range "
                                      f"[{_num(SNR_RANGE[0])}, {_num(SNR_RANGE[1])}] dB")
        if (self.snr_db is None) != (self.noise is None):
            raise AudioConditionError("snr_db and noise are given together or not at all")
        if self.noise is not None and self.noise not in NOISE_KINDS and "/" not in self.noise:
            raise AudioConditionError(f"unknown noise {self.noise!r} (white, pink, babble or a folder "
                                      f"written with '/'){_suggest(self.noise, list(NOISE_KINDS))}")
        if min(self.reverb_seed, self.noise_seed) < 0:
            raise AudioConditionError("seeds are non-negative integers")

    @property
    def components(self) -> tuple[str, ...]:
        """The components present, in the canonical order (empty for clean)."""
        present = {"reverb": self.rt60 is not None, "snr": self.snr_db is not None, "telephone": self.telephone}
        return tuple(c for c in ORDER if present[c])

    @property
    def is_clean(self) -> bool:
        return not self.components

    @property
    def noise_folder(self) -> str | None:
        """The folder of noise files, when the noise is one."""
        return self.noise if self.noise is not None and self.noise not in NOISE_KINDS else None

    def component_key(self, component: str) -> str:
        if component == "reverb":
            return f"reverb=rt60:{_num(float(self.rt60))}" + (f",seed={self.reverb_seed}" if self.reverb_seed else "")
        if component == "snr":
            return (f"snr={_num(float(self.snr_db))},noise={self.noise}"
                    + (f",seed={self.noise_seed}" if self.noise_seed else ""))
        return "telephone"

    @property
    def key(self) -> str:
        return "+".join(self.component_key(c) for c in self.components) or "clean"

    def __str__(self) -> str:
        return self.key

    def sort_key(self) -> tuple:
        """Clean first; then fewer components before more; among the same components by noise type, then
        severity (lower SNR, then longer RT60, later), then seeds."""
        return (len(self.components), self.components, self.noise or "",
                -(self.snr_db if self.snr_db is not None else 0.0), self.rt60 or 0.0,
                self.noise_seed, self.reverb_seed, self.key)

    @classmethod
    def parse(cls, key: str) -> "AudioCondition":
        """The condition a key names; AudioConditionError (a ValueError) on any mistake."""
        if isinstance(key, AudioCondition):
            return key
        if not isinstance(key, str) or not key.strip():
            raise AudioConditionError(f"audio condition must be a non-empty string, got {key!r}")
        parts = [p.strip() for p in key.split("+")]
        if "" in parts:
            raise AudioConditionError(f"bad audio condition {key!r}: empty component between '+'")
        fields: dict[str, object] = {}
        seen: list[str] = []
        for part in parts:
            name = re.split(r"[=,:]", part, maxsplit=1)[0]
            if name not in ("clean", *ORDER):
                close = difflib.get_close_matches(name, ["clean", *ORDER], n=1, cutoff=0.5)
                hint = f"; did you mean {close[0] + part[len(name):]!r}?" if close else ""
                raise AudioConditionError(f"unknown audio condition component {name!r} in {key!r}{hint} "
                                          f"(components: {', '.join(GRAMMAR)})")
            if name in seen:
                raise AudioConditionError(f"duplicate component {name!r} in {key!r}: each of "
                                          f"{', '.join(ORDER)} may appear once")
            seen.append(name)
            if name in ("clean", "telephone"):
                if part != name:
                    raise AudioConditionError(f"bad component {part!r} in {key!r}: {name} takes no value or options")
                fields["telephone"] = name == "telephone" or bool(fields.get("telephone"))
                continue
            fields.update(_parse_component(name, part, key))
        if "clean" in seen and len(seen) > 1:
            raise AudioConditionError(f"bad audio condition {key!r}: clean cannot be combined with other components")
        try:
            return cls(**fields)  # type: ignore[arg-type]
        except AudioConditionError as e:
            raise AudioConditionError(f"bad audio condition {key!r}: {e}") from None


def _parse_component(name: str, part: str, key: str) -> dict[str, object]:
    """The fields of one `snr=...` or `reverb=...` component."""
    head, *opts = part.split(",")
    value = head[len(name) + 1:] if head.startswith(name + "=") else None
    if name == "reverb":
        value = value[5:] if value is not None and value.startswith("rt60:") else None
    if value is None or not _NUMBER.match(value):
        form = GRAMMAR[1] if name == "reverb" else GRAMMAR[2]
        raise AudioConditionError(f"bad component {part!r} in {key!r}: expected {form}")
    out: dict[str, object] = {"rt60" if name == "reverb" else "snr_db": float(value) + 0.0}
    given: dict[str, str] = {}
    for opt in opts:
        k, eq, v = opt.partition("=")
        k = k.strip()
        if k not in _OPTIONS[name] or not eq:
            raise AudioConditionError(f"unknown option {opt!r} of {name} in {key!r}{_suggest(k, list(_OPTIONS[name]))} "
                                      f"(options: {', '.join(_OPTIONS[name])})")
        if k in given:
            raise AudioConditionError(f"duplicate option {k!r} of {name} in {key!r}")
        given[k] = v.strip()
    if "seed" in given:
        if not given["seed"].isdigit():
            raise AudioConditionError(f"bad seed {given['seed']!r} in {key!r}: a non-negative integer")
        out["reverb_seed" if name == "reverb" else "noise_seed"] = int(given["seed"])
    if name == "snr":
        out["noise"] = _noise(given.get("noise", DEFAULT_NOISE), key)
    return out


def _noise(value: str, key: str) -> str:
    if value in NOISE_KINDS:
        return value
    if "/" not in value:
        raise AudioConditionError(f"unknown noise {value!r} in {key!r}{_suggest(value, list(NOISE_KINDS))} "
                                  f"(white, pink, babble, or a folder written with '/', e.g. noise=./{value})")
    if "=" in value:  # ',' and '+' never reach here: they split the key first
        raise AudioConditionError(f"bad noise folder {value!r} in {key!r}: a folder must not hold ',', '+' or '='")
    folder = posixpath.normpath(value)
    return folder if "/" in folder else "./" + folder  # keep the '/' that marks a folder: `./street/` -> `./street`


def canonical(key: str) -> str:
    """The canonical spelling of an audio condition key (raises like `AudioCondition.parse`)."""
    return AudioCondition.parse(key).key


def examples() -> list[str]:
    """The grammar of every component, for listings and error messages."""
    return list(GRAMMAR)


CLEAN = AudioCondition()

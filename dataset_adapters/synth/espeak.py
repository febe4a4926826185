"""A minimal ctypes binding to libespeak-ng as shipped by the `espeakng-loader` wheel.

Why ctypes and not a wrapper package: the wheel carries the shared library and its data, so the
synthetic corpora need nothing but PyPI. libespeak keeps global state (one voice, one set of
parameters, one callback), so every call goes through one process-wide lock.
"""
from __future__ import annotations

import ctypes
import json
import os
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit() inside the library
CHARS_UTF8 = 1
POS_CHARACTER = 1
EE_OK = 0
# espeak_PARAMETER values (speak_lib.h)
RATE, VOLUME, PITCH, RANGE, WORDGAP = 1, 2, 3, 4, 7

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakError(RuntimeError):
    """libespeak-ng could not be loaded or refused a call."""


@dataclass(frozen=True)
class Prosody:
    """espeak parameters for one utterance; ranges are the library's (rate in words/minute)."""

    voice: str = "en-us"
    rate: int = 175  # 80..450
    pitch: int = 50  # 0..100
    range: int = 50  # 0..100
    volume: int = 100  # 0..200
    wordgap: int = 0  # extra pause between words, in units of 10 ms at normal speed

    def clamped(self) -> "Prosody":
        """The same prosody with every value inside what the library accepts."""
        return Prosody(
            self.voice,
            int(min(max(self.rate, 80), 450)),
            int(min(max(self.pitch, 0), 100)),
            int(min(max(self.range, 0), 100)),
            int(min(max(self.volume, 0), 200)),
            int(min(max(self.wordgap, 0), 20)),
        )


class _Engine:
    """The one libespeak-ng instance of this process (created lazily on first use)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - the package is a declared dependency
            raise EspeakError("the `espeakng-loader` package is required for speech synthesis") from e
        lib_path = espeakng_loader.get_library_path()
        data_path = espeakng_loader.get_data_path()
        try:
            self.lib = ctypes.CDLL(lib_path)
        except OSError as e:
            raise EspeakError(f"cannot load libespeak-ng from {lib_path}: {e}") from e
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        # espeak-ng >= 1.52 draws jitter from its own generator; reseeding it per call is what makes
        # the same text + prosody give the same samples (byte-identical corpora for one seed).
        self._set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._set_seed is not None:
            self._set_seed.argtypes = [ctypes.c_long]
            self._set_seed.restype = None
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise EspeakError(f"espeak_Initialize failed (returned {rate}) with data at {data_path}")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: the library holds a raw pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_audio(self, wav: "ctypes._Pointer[ctypes.c_short]", n: int, _events: int) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def synth(self, text: str, prosody: Prosody, seed: int) -> np.ndarray:
        p = prosody.clamped()
        if p.voice != self._voice:
            if self.lib.espeak_SetVoiceByName(p.voice.encode()) != EE_OK:
                raise EspeakError(f"espeak does not know the voice {p.voice!r}")
            self._voice = p.voice
        for param, value in ((RATE, p.rate), (VOLUME, p.volume), (PITCH, p.pitch), (RANGE, p.range), (WORDGAP, p.wordgap)):
            if self.lib.espeak_SetParameter(param, value, 0) != EE_OK:
                raise EspeakError(f"espeak_SetParameter({param}, {value}) failed")
        data = text.encode("utf-8") + b"\0"
        if self._set_seed is not None:
            self._set_seed(seed)
        self._chunks = []
        err = self.lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if err != EE_OK:
            raise EspeakError(f"espeak_Synth failed ({err}) on {text!r}")
        self.lib.espeak_Synchronize()
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        self._chunks = []
        return audio.astype(np.int16, copy=False)


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def deterministic() -> bool:
    """Whether this libespeak-ng can be seeded (else repeated calls differ by a few samples)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE._set_seed is not None


def synthesize(text: str, prosody: Prosody = Prosody(), seed: int = 0) -> tuple[np.ndarray, int]:
    """Speak `text` with `prosody`; returns (int16 mono samples, sample rate — 22050 Hz).

    In-process and quick, but NOT reproducible: the samples also depend on what this process
    synthesised before (see the module docstring). Corpora use `ForkingSynthesizer` instead.
    """
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE.synth(text, prosody, seed), _ENGINE.sample_rate


def phonemes(text: str, voice: str = "en-us") -> str:
    """espeak's IPA phonemes for `text` (clauses joined by spaces): what the synthesiser will say.

    Used to check that new words are read as words, not spelled out letter by letter.
    """
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        eng = _ENGINE
        if voice != eng._voice:
            if eng.lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
                raise EspeakError(f"espeak does not know the voice {voice!r}")
            eng._voice = voice
        buf = ctypes.create_string_buffer(text.encode("utf-8") + b"\0")
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        out: list[str] = []
        while ptr.value:
            chunk = eng.lib.espeak_TextToPhonemes(ctypes.byref(ptr), CHARS_UTF8, 2)  # 2: IPA
            if chunk is None:
                break
            out.append(chunk.decode("utf-8"))
        return " ".join(x for x in out if x)


def spelled_out(word: str, voice: str = "en-us") -> bool:
    """Whether espeak reads `word` letter by letter (as it does for what its rules cannot pronounce)."""
    def norm(s: str) -> str:
        return "".join(ch for ch in s if ch not in " ˈˌ")

    if len(word) < 2:  # "I", "a": the word is its letter
        return False
    said = phonemes(word, voice)
    stresses = sum(said.count(m) for m in "ˈˌ")
    return stresses > 2 or norm(said) == norm(phonemes(" ".join(word), voice))


# --- the forking helper process -------------------------------------------------------------

_HEADER = struct.Struct("<qi")  # payload length (negative: an error message follows), sample rate


def _read_exact(stream, n: int) -> bytes:  # type: ignore[no-untyped-def]
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EspeakError("espeak helper process ended unexpectedly")
        buf += chunk
    return bytes(buf)


def _worker_main() -> None:
    """Helper loop: one JSON request per stdin line, one framed reply on stdout per request."""
    engine = _Engine()  # initialised once; never synthesises in this process
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        req = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: synthesise from the pristine state, write, exit without cleanup
            os.close(r)
            try:
                audio = engine.synth(req["text"], Prosody(**req["prosody"]), int(req["seed"]))
                payload, n = audio.tobytes(), len(audio.tobytes())
            except Exception as e:  # noqa: BLE001 - forwarded to the parent as a message
                payload = f"{type(e).__name__}: {e}".encode()
                n = -len(payload)
            with os.fdopen(w, "wb") as fw:
                fw.write(_HEADER.pack(n, engine.sample_rate) + payload)
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as fr:
            data = fr.read()
        os.waitpid(pid, 0)
        out.write(data)
        out.flush()


class ForkingSynthesizer:
    """Deterministic synthesis: each utterance is spoken by a fresh fork of a pristine engine.

    Use as a context manager; calls are serialised by a lock. About 2-5 ms of overhead per
    utterance on top of synthesis (which runs at ~0.002 x real time here).
    """

    def __init__(self) -> None:
        if not hasattr(os, "fork"):
            raise EspeakError("deterministic synthesis needs os.fork (Linux/macOS)")
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from dataset_adapters.synth.espeak import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )

    def synth(self, text: str, prosody: Prosody, seed: int = 0) -> tuple[np.ndarray, int]:
        """Speak `text`; returns (int16 mono samples, sample rate)."""
        req = {"text": text, "prosody": prosody.__dict__, "seed": int(seed)}
        with self._lock:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            if self._proc.poll() is not None:
                raise EspeakError(f"espeak helper process exited with code {self._proc.returncode}")
            self._proc.stdin.write(json.dumps(req).encode() + b"\n")
            self._proc.stdin.flush()
            n, rate = _HEADER.unpack(_read_exact(self._proc.stdout, _HEADER.size))
            payload = _read_exact(self._proc.stdout, abs(n))
        if n < 0:
            raise EspeakError(f"espeak failed on {text!r}: {payload.decode(errors='replace')}")
        return np.frombuffer(payload, dtype=np.int16).copy(), rate

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> "ForkingSynthesizer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

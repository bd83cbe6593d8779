#!/usr/bin/env python3
"""Compile time of pyossl's public headers against the system headers they include.

For each public header (the umbrella pyossl.hpp and every module header), two one-line
translation units are compiled:
  pyossl:   #include <pyossl/HEADER>
  baseline: #include of every system header (standard library, OpenSSL, POSIX) that a pyossl
            header reachable from HEADER includes directly, in the same order
and the user CPU time of each compiler run is measured (getrusage of the child, so other
load on the machine matters less than for wall time). The two are run interleaved, RUNS
times each, and the medians are compared: ratio = pyossl / baseline. The issue's target is
a ratio <= 1.5 for -fsyntax-only and for -O2 (-c, code generation included).

  bench/compile_time.py                       # every public header, both modes, 5 runs
  bench/compile_time.py --runs 9 pyossl.hpp   # the umbrella only
  bench/compile_time.py --cxx clang++ --std 23 --modes syntax
  bench/compile_time.py --include /tmp/before/include pyossl.hpp   # another checkout's headers
  bench/compile_time.py --compiled            # the compiled mode (PYOSSL_SEPARATE_COMPILATION)

Nothing here is a test: the numbers are read by people (bench/README.md), never asserted.
"""
import argparse
import os
import pathlib
import re
import resource
import statistics
import subprocess
import sys
import tempfile

INCLUDE = pathlib.Path(__file__).resolve().parent.parent / "include"
MODES = {"syntax": ["-fsyntax-only"], "O2": ["-O2", "-c", "-o", os.devnull]}


def public_headers():
    headers = ["pyossl/pyossl.hpp"]
    for path in sorted(INCLUDE.glob("pyossl/**/*.hpp")):
        rel = path.relative_to(INCLUDE).as_posix()
        if "/detail/" in rel or rel == "pyossl/pyossl.hpp":
            continue
        headers.append(rel)
    return headers


def search_dirs(cxx, std):
    out = subprocess.run([cxx, f"-std=c++{std}", "-xc++", "-E", "-v", os.devnull],
                         capture_output=True, text=True).stderr
    block = out.split("#include <...> search starts here:")[1].split("End of search list.")[0]
    dirs = [line.strip() for line in block.splitlines() if line.strip()]
    # Longest first, so /usr/include/c++/12 wins over /usr/include.
    return sorted((os.path.realpath(d) for d in dirs), key=len, reverse=True)


def system_headers_of(cxx, std, header, dirs):
    """The system headers that pyossl headers reachable from `header` include directly,
    as <spelling>, found with the compiler's -H (so #if'd-out includes do not count)."""
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as tu:
        tu.write(f"#include <{header}>\n")
    try:
        out = subprocess.run([cxx, f"-std=c++{std}", f"-I{INCLUDE}", "-fsyntax-only", "-H", tu.name],
                             capture_output=True, text=True)
    finally:
        os.unlink(tu.name)
    if out.returncode != 0:
        sys.exit(f"{header} does not compile:\n{out.stderr}")
    found, stack = [], []  # stack[d] = is the file at depth d+1 a pyossl header
    for line in out.stderr.splitlines():
        m = re.match(r"^(\.+) (.*)$", line)
        if not m:
            continue
        depth, path = len(m.group(1)), os.path.realpath(m.group(2))
        del stack[depth - 1:]
        is_pyossl = path.startswith(str(INCLUDE) + os.sep)
        parent_is_pyossl = depth == 1 or stack[depth - 2]
        stack.append(is_pyossl)
        if is_pyossl or not parent_is_pyossl:
            continue
        for d in dirs:
            if path.startswith(d + os.sep):
                spelling = path[len(d) + 1:]
                break
        else:
            spelling = path
        if spelling not in found:
            found.append(spelling)
    return found


def cpu_seconds(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    return after.ru_utime - before.ru_utime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("headers", nargs="*", help="e.g. pyossl.hpp crypto/x509.hpp (default: all public)")
    parser.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--std", default="20")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="syntax,O2", help="syntax, O2 or both (comma-separated)")
    parser.add_argument("--show-baseline", action="store_true", help="print each baseline TU")
    parser.add_argument("--include", help="the include/ directory to measure (default: this checkout's)")
    parser.add_argument("--compiled", action="store_true",
                        help="measure the compiled mode (-DPYOSSL_SEPARATE_COMPILATION: declarations only)")
    args = parser.parse_args()
    if args.include:
        global INCLUDE
        INCLUDE = pathlib.Path(args.include).resolve()

    headers = public_headers()
    if args.headers:
        wanted = [h if h.startswith("pyossl/") else "pyossl/" + h for h in args.headers]
        unknown = [h for h in wanted if not (INCLUDE / h).exists()]
        if unknown:
            sys.exit(f"no such header: {', '.join(unknown)}")
        headers = wanted
    modes = [m for m in args.modes.split(",") if m]
    dirs = search_dirs(args.cxx, args.std)
    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"# {version}, -std=c++{args.std}, median user CPU of {args.runs} interleaved runs")
    print("| header | mode | pyossl | baseline | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")

    with tempfile.TemporaryDirectory() as work:
        for header in headers:
            system = system_headers_of(args.cxx, args.std, header, dirs)
            stem = re.sub(r"\W", "_", header)
            ours = pathlib.Path(work, stem + ".cpp")
            ours.write_text(f"#include <{header}>\n")
            base = pathlib.Path(work, stem + "_baseline.cpp")
            base.write_text("".join(f"#include <{s}>\n" for s in system))
            if args.show_baseline:
                print(f"# baseline of {header}: {' '.join(system)}")
            for mode in modes:
                common = [args.cxx, f"-std=c++{args.std}", f"-I{INCLUDE}", *MODES[mode]]
                if args.compiled:
                    common.append("-DPYOSSL_SEPARATE_COMPILATION")
                cpu_seconds(common + [str(ours)])  # warm the file cache once
                cpu_seconds(common + [str(base)])
                times = {"pyossl": [], "baseline": []}
                for _ in range(args.runs):
                    times["pyossl"].append(cpu_seconds(common + [str(ours)]))
                    times["baseline"].append(cpu_seconds(common + [str(base)]))
                p = statistics.median(times["pyossl"])
                b = statistics.median(times["baseline"])
                label = mode + (", compiled mode" if args.compiled else "")
                print(f"| {header.removeprefix('pyossl/')} | {label} | {p:.2f} s | {b:.2f} s | {p / b:.2f}x |",
                      flush=True)


if __name__ == "__main__":
    main()

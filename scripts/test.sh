#!/usr/bin/env bash
# The test command: everything CI runs, from a fresh clone on a machine with
# only the Rust toolchain, gcc/g++ and Python 3.11. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# The library must build for Windows (issue: Windows from day one).
rustup target add x86_64-pc-windows-gnu >/dev/null
cargo check --locked --target x86_64-pc-windows-gnu -p ferrozmq-proto -p ferrozmq

# Fuzz targets must build (running them is separate: see fuzz/README.md).
RUSTFLAGS="--cfg fuzzing" cargo check --locked --manifest-path fuzz/Cargo.toml

# Benchmarks and examples must compile.
cargo check --locked --workspace --benches --examples

# Unit, integration (interop against libzmq built from source by the `zmq`
# dev-dependency) and doc tests; last, so the log ends with their summary.
cargo test --workspace --locked

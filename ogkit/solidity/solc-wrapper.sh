#!/usr/bin/env bash
# solc-v0.8.28 stand-in for py-solc-x / ape-solidity, backed by the pinned npm `solc` (solc-js).
#
# Installed by `make toolchain` as <repo>/.solcx/solc-v0.8.28 (SOLCX_BINARY_PATH=<repo>/.solcx);
# this source copy lives in <repo>/tools/. Either way the repository root is the parent of the
# directory holding the script's *real* path, and the compiler is <root>/node_modules/solc/solc.js
# (~9 MB soljson.js inside it: nothing is downloaded at run time).
#
# Why a wrapper at all:
#   * py-solc-x only knows "a file named solc-v<X.Y.Z> in SOLCX_BINARY_PATH"; solc-js is a node script.
#   * solc-js prints ">>> Cannot retry compilation with SMT because there are no SMT solvers
#     available." on *stdout* before the standard-JSON output, which breaks json.loads in
#     py-solc-x. We drop every stdout line starting with ">>> " (only solc-js's own chatter uses
#     that prefix; compiler JSON is a single line starting with "{").
#   * node truncates large stdout written to a pipe when solc.js calls process.exit() (below).
#   * `--version` prints `0.8.28+commit.7893614a.Emscripten.clang`, which py-solc-x's
#     VERSION_REGEX `(\d+\.\d+\.\d+)(...)(\+commit.\w+)` accepts as-is.
#
# Overrides: OG_SOLCJS=/path/to/solc.js, OG_NODE=/path/to/node.
set -euo pipefail

self="$(readlink -f -- "${BASH_SOURCE[0]}")"
root="$(cd -- "$(dirname -- "$self")/.." && pwd -P)"
solcjs="${OG_SOLCJS:-$root/node_modules/solc/solc.js}"
node="${OG_NODE:-node}"

if [[ ! -f "$solcjs" ]]; then
    echo "solc-wrapper: $solcjs not found; run 'npm ci' in $root (package.json pins solc 0.8.28)" >&2
    exit 127
fi
if ! command -v "$node" >/dev/null 2>&1; then
    echo "solc-wrapper: node not found on PATH (needed to run solc-js)" >&2
    exit 127
fi

# Node's stdout goes to a temporary *file*, not straight into a pipe: solc.js ends with
# console.log(output); process.exit(0), and when stdout is a pipe node writes it
# asynchronously, so process.exit() cuts the JSON off at 64 KiB (seen: 227 KB -> 65536 bytes,
# JSONDecodeError in py-solc-x). Writes to a file are synchronous and always complete.
out="$(mktemp "${TMPDIR:-/tmp}/solc-wrapper.XXXXXX")"
trap 'rm -f -- "$out"' EXIT

# The standard-JSON input on stdin goes through a file as well: solc.js reads it with
# readFileSync(process.stdin.fd), node makes a stdin *pipe* non-blocking, and an input over
# the 64 KiB pipe buffer then fails with "EAGAIN: resource temporarily unavailable, read"
# (a full project compile is ~80 KB of sources). A regular file never returns EAGAIN.
in=/dev/stdin  # any other invocation keeps its stdin
if [[ " $* " == *" --standard-json "* ]]; then
    in="$(mktemp "${TMPDIR:-/tmp}/solc-wrapper-in.XXXXXX")"
    trap 'rm -f -- "$out" "$in"' EXIT
    cat >"$in"
fi

# Foundry passes `--allow-paths <dirs>` with --standard-json; solc-js has no such option (it
# reads no files itself: forge puts every source's content into the JSON), so drop it.
args=()
while (($#)); do
    case "$1" in
        --allow-paths) shift 2 || shift ;;
        --allow-paths=*) shift ;;
        *) args+=("$1"); shift ;;
    esac
done

rc=0
"$node" "$solcjs" ${args[@]+"${args[@]}"} <"$in" >"$out" || rc=$?
# Drop solc-js's ">>> " chatter, keep everything else (stdout of --version, the JSON, ...).
# sed rather than `grep -v`, which exits 1 when nothing is left (e.g. empty output).
sed -e '/^>>> /d' -- "$out"
exit "$rc"

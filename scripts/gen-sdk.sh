#!/usr/bin/env bash
# The Python SDK in clients/python, generated from docs/openapi.json by OpenAPI Generator
# (-g python; the PyPI package openapi-generator-cli, which ships the generator's jar).
#
#   scripts/gen-sdk.sh           regenerate clients/python (`make sdk`)
#   scripts/gen-sdk.sh --check   regenerate into a temporary folder and fail when clients/python
#                                differs (stale), or when the generator warns about operation ids
#                                or inline schemas (`make test`)
#
# Files listed in clients/python/.openapi-generator-ignore (README, examples/, tests/, the
# config) are ours and never written; the generated ones are those the generator lists in
# clients/python/.openapi-generator/FILES, and a regeneration replaces exactly those.
# Installs what it needs: a Java runtime (Debian's default-jre-headless, with apt-get, when
# `java` is missing) and the generator in a virtual environment under .tools/ (gitignored,
# reused between runs). Knob: BOXOFFICE_TOOLS (default <repo>/.tools).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

GENERATOR_VERSION="7.26.0" # PyPI openapi-generator-cli
SPEC="docs/openapi.json"
OUT="clients/python"
TOOLS="${BOXOFFICE_TOOLS:-$REPO/.tools}"
VENV="$TOOLS/openapi-generator-$GENERATOR_VERSION"

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *) die "usage: $0 [--check]" ;;
esac

ensure_java() {
    command -v java >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || die "java not found: install a Java runtime (Debian: apt-get install default-jre-headless)"
    say "apt-get install default-jre-headless (OpenAPI Generator runs on Java)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends default-jre-headless >&2
}

ensure_generator() {
    [ -x "$VENV/bin/openapi-generator-cli" ] && return 0
    say "pip install openapi-generator-cli==$GENERATOR_VERSION (into $VENV)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "openapi-generator-cli==$GENERATOR_VERSION" >&2
}

# generate DIR: the generator's output for $SPEC in DIR (which must not exist yet).
generate() {
    local dir="$1" version log
    mkdir -p "$dir"
    cp "$OUT/.openapi-generator-ignore" "$dir/"
    version="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$SPEC")"
    log="$dir.log"
    if ! "$VENV/bin/openapi-generator-cli" generate -g python -i "$SPEC" -o "$dir" \
        -c "$OUT/openapi-generator-config.yaml" -p "packageVersion=$version" >"$log" 2>&1; then
        cat "$log" >&2
        die "OpenAPI Generator failed on $SPEC"
    fi
    # What the issue asks to be zero: operations without an id, schemas the generator had to name.
    complaints="$(grep -E 'Empty operationId|Inline schema created' "$log" | sed 's/^\[main\] //' || true)"
    if [ -n "$complaints" ]; then
        warn "OpenAPI Generator: $(wc -l <<<"$complaints") warnings about operation ids / inline schemas in $SPEC:"
        printf '%s\n' "$complaints" | cut -c1-160 >&2
    fi
    grep -E '^\[main\] WARN' "$log" | grep -v -E 'Empty operationId' | sed 's/^\[main\] //' | cut -c1-160 >&2 || true
}

# generated_files DIR: the files a generation in DIR wrote (its manifest, and the manifest itself).
generated_files() {
    local dir="$1"
    [ -f "$dir/.openapi-generator/FILES" ] || return 0
    cat "$dir/.openapi-generator/FILES"
    printf '%s\n' .openapi-generator/FILES .openapi-generator/VERSION
}

# install_into SRC DEST: replace the generated files of DEST by those of SRC.
install_into() {
    local src="$1" dest="$2" f d
    local old; old="$(generated_files "$dest")"
    while IFS= read -r f; do
        [ -n "$f" ] && rm -f "$dest/$f"
    done <<<"$old"
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        mkdir -p "$dest/$(dirname "$f")"
        cp "$src/$f" "$dest/$f"
    done < <(generated_files "$src")
    # generated folders left empty (deepest first)
    while IFS= read -r d; do
        [ "$d" != "." ] && rmdir --ignore-fail-on-non-empty "$dest/$d" 2>/dev/null || true
    done < <(grep . <<<"$old" | xargs -r -n1 dirname | sort -u -r)
}

ensure_java
ensure_generator
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

say "OpenAPI Generator $GENERATOR_VERSION -g python: $SPEC → $OUT"
complaints=""
generate "$tmp/gen"
if [ "$check" -eq 1 ]; then
    mkdir -p "$tmp/expected"
    cp -a "$OUT/." "$tmp/expected/"
    install_into "$tmp/gen" "$tmp/expected"
    if ! diff -r -q --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.egg-info' \
        "$tmp/expected" "$OUT" >"$tmp/diff.txt"; then
        sed "s|$tmp/expected|(regenerated)|g" "$tmp/diff.txt" | head -n 40 >&2
        die "$OUT is stale against $SPEC: run \`make sdk\` and commit the result"
    fi
    echo "$OUT is current with $SPEC" >&2
    [ -z "$complaints" ] || die "OpenAPI Generator warned about operation ids / inline schemas (above): the document must give every operation an id and every schema a name"
else
    install_into "$tmp/gen" "$OUT"
    echo "wrote $OUT ($(generated_files "$OUT" | wc -l) generated files)" >&2
fi

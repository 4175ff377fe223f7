#!/bin/sh
# make install into a temporary prefix, then the installed cds run from elsewhere: it finds
# the installed Catalog (not a ./Catalog in the working directory, not the build's), and
# the manual page and shell completions are where docs/operations.md says.
set -eu
CDS=${1:-.build/debug/cds}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
fail() { echo "install-test: FAIL: $*"; exit 1; }

make -C "$ROOT" --no-print-directory -s install-files PREFIX="$PREFIX" INSTALL_BIN="$ROOT/$CDS" >/dev/null
for f in bin/cds libexec/cds/cds-hooks share/cds/Catalog/catalog.json share/man/man1/cds.1 share/bash-completion/completions/cds \
    share/zsh/site-functions/_cds share/fish/vendor_completions.d/cds.fish; do
    [ -e "$PREFIX/$f" ] || fail "$f not installed"
done

# Another directory, holding a broken ./Catalog that must not be picked up.
mkdir -p "$WORK/elsewhere/Catalog"
echo '{' > "$WORK/elsewhere/Catalog/catalog.json"
cd "$WORK/elsewhere"
env -u CDS_CATALOG "$PREFIX/bin/cds" catalog check --log-level info >"$WORK/out" 2>"$WORK/err" || fail "catalog check: $(cat "$WORK/err")"
grep -q "^Catalog 1.0.0 is valid" "$WORK/out" || fail "catalog check said: $(cat "$WORK/out")"
grep -q "directory=$PREFIX/share/cds/Catalog .*found=the install prefix" "$WORK/err" || fail "not the installed Catalog: $(cat "$WORK/err")"
sha=$(sed -n '1s/.*sha256 //p' "$WORK/out")
grep -q "sha256=$sha" "$WORK/err" || fail "the start-up log does not name the Catalog's sha256"

# A plan from the installed cds, from that directory, names the installed Catalog's digest.
env -u CDS_CATALOG "$PREFIX/bin/cds" evaluate "$ROOT/Tests/Vignettes/09-escalation-at-4-months.case.json" >"$WORK/plan" || fail "evaluate"
grep -q "\"sha256\":\"$sha\"" "$WORK/plan" || fail "plan provenance lacks the Catalog digest"

# Through a symbolic link on another PATH directory too.
mkdir "$WORK/bin" && ln -s "$PREFIX/bin/cds" "$WORK/bin/cds"
env -u CDS_CATALOG PATH="$WORK/bin:$PATH" cds modules >/dev/null || fail "cds through a symlink"

# cds hooks serve runs the installed HTTP service's executable (PREFIX/libexec/cds/cds-hooks),
# help included, and through the symbolic link too.
env -u CDS_CATALOG "$PREFIX/bin/cds" hooks serve --help >"$WORK/out" 2>&1 || fail "hooks serve --help: $(cat "$WORK/out")"
grep -q "USAGE: cds hooks serve" "$WORK/out" && grep -q -- "--trust <file>" "$WORK/out" || fail "hooks serve --help said: $(cat "$WORK/out")"
if env -u CDS_CATALOG PATH="$WORK/bin:$PATH" cds hooks serve --port 70000 >"$WORK/out" 2>&1; then fail "hooks serve accepted --port 70000"; fi
grep -q -- "--port must be within 0...65535" "$WORK/out" || fail "hooks serve through a symlink said: $(cat "$WORK/out")"

# CDS_CATALOG and --catalog still win, and name what is missing.
if CDS_CATALOG="$WORK/elsewhere/nothing" "$PREFIX/bin/cds" catalog check 2>"$WORK/err"; then fail "a missing CDS_CATALOG was accepted"; fi
grep -q "CDS_CATALOG=$WORK/elsewhere/nothing: no catalog.json there" "$WORK/err" || fail "CDS_CATALOG error: $(cat "$WORK/err")"

# The manual page renders; the bash completion loads.
if command -v man >/dev/null; then MANWIDTH=80 man -l "$PREFIX/share/man/man1/cds.1" 2>/dev/null | grep -q "evaluate" || fail "man page"; fi
bash -c ". '$PREFIX/share/bash-completion/completions/cds' && complete -p cds" >/dev/null || fail "bash completion does not load"
# Completion offers the values of enum options and file names for file arguments.
BASH_COMPLETION="$PREFIX/share/bash-completion/completions/cds"
cat > "$WORK/complete.sh" <<'SH'
shopt -s extglob
. "$1"
complete_line() {
    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
    read -ra COMP_WORDS <<< "$COMP_LINE"
    case "$COMP_LINE" in *" ") COMP_WORDS+=("") ;; esac
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _cds cds "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "${COMPREPLY[*]}"
}
complete_line "$2"
SH
completes() { bash "$WORK/complete.sh" "$BASH_COMPLETION" "$1"; }
[ "$(completes 'cds evaluate --format ')" = "plan cds-hooks" ] || fail "--format values: $(completes 'cds evaluate --format ')"
[ "$(completes 'cds serve --log-level ')" = "trace debug info notice warning error critical" ] || fail "--log-level values"
[ "$(completes 'cds repl --log-format j')" = "json" ] || fail "--log-format values"
[ "$(completes 'cds evalu')" = "evaluate" ] || fail "subcommand names"
mkdir "$WORK/files" && touch "$WORK/files/case-a.json"
[ "$(cd "$WORK/files" && completes 'cds evaluate case-')" = "case-a.json" ] || fail "file argument: $(cd "$WORK/files" && completes 'cds evaluate case-')"
grep -q "cds-hooks" "$PREFIX/share/zsh/site-functions/_cds" || fail "zsh: --format values"

# make uninstall removes what make install put there.
make -C "$ROOT" --no-print-directory -s uninstall PREFIX="$PREFIX"
[ -z "$(find "$PREFIX" -type f)" ] || fail "uninstall left: $(find "$PREFIX" -type f)"
echo "install-test: passed (installed into a temporary prefix, run from another directory)"

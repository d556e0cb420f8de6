#!/usr/bin/env bash
# An installed rolcov works without the source tree: build the wheel, install it into a fresh virtualenv and
# run train → classify → coverage from a directory outside the checkout, on copies of the shipped corpus.
# Usage: .ci/wheel_check.sh [PYTHON]   (make wheel-check; .ci/run calls it after make test)
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-${PYTHON:-python3}}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rolcov-wheel-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH  # nothing from the checkout may leak in
start=$SECONDS
step() { echo "wheel check: $* ($((SECONDS - start)) s)"; }

# build from a copy: an in-tree build would leave build/ and *.egg-info behind, and reuse stale build/lib files
mkdir "$work/src"
tar -C "$checkout" -c --exclude-vcs --exclude=./.venv --exclude=./build --exclude='*.egg-info' --exclude=./out \
    --exclude='./models/*/' . | tar -C "$work/src" -x
"$python" -m venv "$work/venv"
step "building the wheel"
"$work/venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
step "installing it into a fresh virtualenv"
"$work/venv/bin/python" -m pip install --quiet --no-compile "$work"/dist/rolcov-*.whl  # .pyc on first import

mkdir "$work/run" && cp -r "$checkout/corpus/raw" "$checkout/corpus/annotations.csv" "$work/run/"
cd "$work/run"
rolcov="$work/venv/bin/rolcov"
installed="$("$work/venv/bin/python" -c 'import pipeline; print(pipeline.__file__)')"
case "$installed" in
    "$work/venv/"*) ;;
    *) echo "wheel check: pipeline imported from $installed, not from the installed wheel" >&2; exit 1 ;;
esac
step "rolcov fetch-model, train, classify, coverage in $work/run"
"$rolcov" fetch-model
"$rolcov" train annotations.csv -o models/default
step "classify"
"$rolcov" classify raw --model models/default -o out/paragraphs.csv >/dev/null
"$rolcov" coverage out/paragraphs.csv -o out --html out/coverage.html >/dev/null
"$rolcov" coverage out/paragraphs.csv -o out/corpus --html out/site.html --pages site >/dev/null  # site templates
for made in models/default/model.skops models/default/taxonomy.yaml out/paragraphs.csv out/profile.csv \
            out/coverage.html out/corpus/panel.dta out/site/index.html; do
    test -s "$made" || { echo "wheel check: $made was not written" >&2; exit 1; }
done
echo "wheel check passed: the installed wheel trained, classified and profiled outside the checkout" \
     "in $((SECONDS - start)) s"

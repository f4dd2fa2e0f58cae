#!/bin/sh
# Fails, naming file and line, when a project file points to ../shared (which a clone does not
# have) or names a docs/*.md page that does not exist.
set -u
root=${1:?usage: check_links.sh PROJECT_SOURCE_DIR}
cd "$root" || exit 2
status=0
files=$(git ls-files 2>/dev/null || find . -type f -not -path './build*' -not -path './.git/*')
# shellcheck disable=SC2086
if grep -nE '(\.\./)+shared/|WIRE-FORMAT\.md|LUSTRE-ACTIONS\.md' $files /dev/null | grep -v -e '^tests/docs/' -e '^\./tests/docs/'; then
    echo "error: the lines above point to ../shared or its files; point to docs/ instead" >&2
    status=1
fi
for page in $(grep -ohE 'docs/[A-Za-z0-9_.-]+\.md' $files /dev/null | sort -u); do
    if [ ! -f "$page" ]; then
        grep -nF "$page" $files /dev/null >&2
        echo "error: $page is named above but does not exist" >&2
        status=1
    fi
done
exit $status

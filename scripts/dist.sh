#!/usr/bin/env bash
# Makes the release tarball lustre-hsm-action-stream-<version>.tar.gz from this checkout, with
# lustre-hsm-action-stream.spec at its root, so that `rpmbuild -ta <tarball>` works.
#   scripts/dist.sh [OUTDIR]        (default: the current directory; `cmake --build build
#                                    --target dist` calls it with the build directory)
# The version is read from project(... VERSION x.y.z) in CMakeLists.txt, its one place. The
# files are those git tracks plus new files not ignored, as they are in the working tree.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)"
version="$(sed -nE 's/^project\([^)]*VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$src/CMakeLists.txt")"
if [ -z "$version" ]; then
  echo "dist.sh: no 'project(... VERSION x.y.z)' in $src/CMakeLists.txt" >&2
  exit 1
fi
if ! git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "dist.sh: $src is not a git checkout; the tarball is made from one" >&2
  exit 1
fi
name="lustre-hsm-action-stream-$version"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
   [ -e "$f" ] && printf '%s\0' "$f"   # skip files deleted but not yet committed
 done | tar --null -T - -cf -) | tar -xf - -C "$stage/$name"
sed "s/@PROJECT_VERSION@/$version/g" "$src/packaging/lustre-hsm-action-stream.spec.in" \
  > "$stage/$name/lustre-hsm-action-stream.spec"
# Reproducible: fixed owner and order; mtimes from the last commit.
mtime="$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"

#!/usr/bin/env bash
# Runs shellcheck (Debian's, in CI) on every shell script of the repo: *.sh and the extension-less Jenkins steps.
set -euo pipefail

usage() {
  echo "Usage: scripts/shellcheck.sh [-h|--help]   (shellcheck -x on every *.sh and scripts/jenkins/*; exit 1 on findings)"
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck.sh: shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }

files=()
while IFS= read -r -d '' file; do
  files+=("$file")
done < <(find . \( -path ./node_modules -o -path '*/node_modules' -o -path ./.git \) -prune -o \
  \( -name '*.sh' -o -path './scripts/jenkins/*' \) -type f ! -name '*.md' ! -name 'Jenkinsfile*' -print0 | sort -z)

[ "${#files[@]}" -gt 0 ] || { echo "shellcheck.sh: no scripts found" >&2; exit 1; }
shellcheck --external-sources "${files[@]}"
echo "shellcheck.sh: ${#files[@]} scripts clean"

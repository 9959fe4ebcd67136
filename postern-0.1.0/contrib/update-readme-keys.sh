#!/bin/sh
# update-readme-keys.sh - replace the key reference in README.md with the
# output of `postern -k` (run after adding a config or policy key; the CLI
# test fails while the two differ).
set -eu
cd "$(dirname "$0")/.."
ref=$(./postern -k | sed 's|`[^`]*/postern/policies`|`/etc/postern/policies`|')
awk -v ref="$ref" '
	/^<!-- postern -k -->$/ { print; print ref; skip = 1; next }
	/^<!-- end postern -k -->$/ { skip = 0 }
	!skip { print }
' README.md > README.md.new
mv README.md.new README.md

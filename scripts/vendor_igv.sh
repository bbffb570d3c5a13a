#!/usr/bin/env bash
# Refresh the vendored igv.js (npm package `igv`, MIT) from the npm registry: its dist file and LICENSE.
# Usage: scripts/vendor_igv.sh [VERSION]   (default: the pinned version below). Needs npm; run-time needs nothing.
set -euo pipefail
VERSION="${1:-3.8.10}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/glm_explore/browser/frontend"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack "igv@${VERSION}" --silent >/dev/null && tar xzf "igv-${VERSION}.tgz")
mkdir -p "$DEST"
cp "$TMP/package/dist/igv.min.js" "$DEST/igv.min.js"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
echo "$VERSION" > "$DEST/VERSION"
echo "igv.js $VERSION → $DEST ($(du -h "$DEST/igv.min.js" | cut -f1))"

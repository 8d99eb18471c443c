#!/bin/sh
# make check entry: boots user-mode-linux and runs notify.sh inside it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
IPX_TOP_SRCDIR=${top_srcdir:-$(cd "$here/../.." && pwd)}
IPX_TOP_BUILDDIR=${top_builddir:-$IPX_TOP_SRCDIR/build}
export IPX_TOP_SRCDIR IPX_TOP_BUILDDIR
exec "$here/uml-run" --timeout 500 "$here/notify.sh"

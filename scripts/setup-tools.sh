#!/usr/bin/env bash
# Installs the tools that the cross-language tests use: grpcurl and the Go
# protobuf plugins (built with `go install` at pinned versions), and a Python
# virtual environment with grpcio and grpcio-tools. Everything goes into one
# cache directory, so a second run finds it and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCURL_VERSION=v1.9.4
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
GRPCIO_VERSION=1.85.1

tools_dir="${SEATBELT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/seatbelt-tools}"
bin_dir="$tools_dir/bin"
mkdir -p "$bin_dir"

go_bin="$(command -v go || true)"
[ -n "$go_bin" ] || { [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go; }
if [ -z "$go_bin" ]; then
  echo "setup: Go is missing; install it to build grpcurl and the Go plugins" >&2
  exit 1
fi

# Installs one Go command unless the pinned version is already there; a
# stamp file records the version, since not every command prints one.
go_install() {
  local name="$1" package="$2" version="$3"
  local stamp="$bin_dir/.$name.version"
  if [ -x "$bin_dir/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    return
  fi
  echo "setup: building $name $version" >&2
  GOBIN="$bin_dir" GOFLAGS=-mod=mod "$go_bin" install "$package@$version"
  echo "$version" >"$stamp"
}

go_install grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
go_install protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
go_install protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"
ln -sf "$go_bin" "$bin_dir/go"
# The Go client of the tests builds without reaching the module proxy.
(cd test/clients/go && "$go_bin" mod download)

# Debian keeps venv's pip bootstrap in a package of its own.
if ! /usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing python3-venv" >&2
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
  else
    echo "setup: python3-venv is missing; install it with: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi

venv="$tools_dir/python"
stamp="$venv/.grpcio.version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$GRPCIO_VERSION" ]; then
  echo "setup: installing grpcio $GRPCIO_VERSION into $venv" >&2
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "grpcio==$GRPCIO_VERSION" "grpcio-tools==$GRPCIO_VERSION"
  echo "$GRPCIO_VERSION" >"$stamp"
fi

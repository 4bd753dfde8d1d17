#!/usr/bin/env bash
# Packs Attention.Generated exactly as .ci/run does, then builds and runs samples/PackageProbe the way a user's project
# gets the package: outside the repository (so its Directory.Build.props does not apply), restored from a local feed
# into an empty package folder. Arguments go to the probe.
#
#   samples/PackageProbe/run.sh            full probe (minutes; keep the machine otherwise idle)
#   samples/PackageProbe/run.sh --smoke    tiny shapes, one round (seconds after the build)
#
# Scratch files (feed, nuget.config, restore log, package folder, build output) go to a fresh folder under $TMPDIR,
# printed at the start and the end. It is removed after a successful run unless PROBE_KEEP=1, and kept on failure.
set -euo pipefail

PROBE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$PROBE/../.." && pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No long-lived MSBuild worker nodes: a node started earlier would not see this script's NUGET_PACKAGES.
export MSBUILDDISABLENODEREUSE=1

VERSION="$(sed -n 's:.*<Version>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</Version>.*:\1:p' "$ROOT/Directory.Build.props" | head -n1)"
if [[ -z "$VERSION" ]]; then
  echo "probe: could not read <Version> from $ROOT/Directory.Build.props"
  exit 1
fi

# The package cache this machine already has (ONNX Runtime is ~400 MB): read before NUGET_PACKAGES is replaced below.
USER_CACHE="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/attention-probe.XXXXXX")"
finish() {
  local rc=$?
  if [[ $rc -ne 0 || "${PROBE_KEEP:-0}" == 1 ]]; then
    echo "probe: scratch files kept in $WORK"
  else
    rm -rf "$WORK"
    echo "probe: scratch folder $WORK removed (PROBE_KEEP=1 keeps it)"
  fi
}
trap finish EXIT
echo "probe: Attention.Generated $VERSION; scratch files in $WORK"

# ---------------------------------------------------------------------------------------------------------------
# Pack: exactly the documented command, at the repository root, into a local feed.
FEED="$WORK/feed"
(cd "$ROOT" && dotnet pack -c Release -o "$FEED")
NUPKG="$FEED/Attention.Generated.$VERSION.nupkg"
if [[ ! -f "$NUPKG" ]]; then
  echo "probe: pack did not produce $NUPKG"
  exit 1
fi

# ---------------------------------------------------------------------------------------------------------------
# The consumer: the probe's sources, with the two linked files at the same relative paths so the .csproj is unchanged.
SRC="$WORK/src"
PROJECT="$SRC/samples/PackageProbe/PackageProbe.csproj"
mkdir -p "$SRC/samples/PackageProbe" "$SRC/benchmarks/Peers"
cp "$PROBE/PackageProbe.csproj" "$PROBE/Program.cs" "$SRC/samples/PackageProbe/"
cp "$ROOT/benchmarks/Peers/ProtoWriter.cs" "$ROOT/benchmarks/Peers/OnnxModelBuilder.cs" "$SRC/benchmarks/Peers/"
# Empty Directory.Build.props/.targets stop MSBuild's upward search here: no such file above the scratch folder
# (in $TMPDIR or /) can apply to the consumer either.
for f in Directory.Build.props Directory.Build.targets; do echo '<Project />' > "$WORK/$f"; done

# A fresh, empty package folder, so a stale Attention.Generated can never be picked up. The user's cache is offered as
# a fallback folder to avoid downloading ONNX Runtime again, but as links to every package in it EXCEPT
# attention.generated (`dotnet add package` from the README would have put one there, and NuGet takes a version found
# in a fallback folder without asking any source).
export NUGET_PACKAGES="$WORK/packages"
FALLBACK="$WORK/fallback"
mkdir -p "$NUGET_PACKAGES" "$FALLBACK"
if [[ -d "$USER_CACHE" ]]; then
  for package in "$USER_CACHE"/*/; do
    id="$(basename "$package")"
    [[ "$id" == attention.generated ]] || ln -s "${package%/}" "$FALLBACK/$id"
  done
fi
# Attention.Generated may come from the local feed only (package source mapping); anything the fallback lacks comes
# from nuget.org.
cat > "$WORK/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <clear />
    <packageSource key="local">
      <package pattern="Attention.Generated" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
  <fallbackPackageFolders>
    <clear />
    <add key="user-cache-without-attention-generated" value="$FALLBACK" />
  </fallbackPackageFolders>
</configuration>
EOF

echo "probe: restoring $PROJECT"
RESTORE_LOG="$WORK/restore.log"
dotnet restore "$PROJECT" --configfile "$WORK/nuget.config" -v n -p:AttentionVersion="$VERSION" > "$RESTORE_LOG" 2>&1 \
  || { cat "$RESTORE_LOG"; echo "probe: restore failed"; exit 1; }
grep -E 'Installed .* from ' "$RESTORE_LOG" | sed 's/^ */probe: /' || true

# Proof that the build sees the package just packed: it was extracted into the fresh folder (the fallback cannot hold
# it) and the .nupkg there is byte for byte the one in the feed.
EXTRACTED="$NUGET_PACKAGES/attention.generated/$VERSION"
if ! cmp -s "$NUPKG" "$EXTRACTED/attention.generated.$VERSION.nupkg"; then
  echo "probe: Attention.Generated $VERSION was not restored from $FEED into $NUGET_PACKAGES"
  exit 1
fi
ASSETS="$SRC/samples/PackageProbe/obj/project.assets.json"
grep -q "\"Attention.Generated/$VERSION\"" "$ASSETS" \
  || { echo "probe: $ASSETS does not list Attention.Generated/$VERSION"; exit 1; }
echo "probe: Attention.Generated $VERSION resolved to $EXTRACTED (identical to $NUPKG)"

# ---------------------------------------------------------------------------------------------------------------
echo "probe: building and running (dotnet run -c Release)"
dotnet run -c Release --no-restore --project "$PROJECT" --property:AttentionVersion="$VERSION" -- "$@"

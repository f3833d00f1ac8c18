#!/usr/bin/env bash
# measure-build.sh times `sam build` for issue 13 ("sam build settings chosen by
# measurement on this machine, with the figures in the README").
#
# Run it on a QUIET machine (nothing else using the 2 cores): it prints the load
# average before and after, and the figures are worthless if it was not ~0.
#
#   bash infra/sam/measure-build.sh                 # everything below, once
#   REPEAT=3 bash infra/sam/measure-build.sh        # 3 rounds, medians in the summary
#
# What it times, each from a WARM and from a COLD Go build cache (GOCACHE):
#   seq     (a) sam build --no-cached            sequential, uncached: what samconfig.toml says now
#   par     (b) sam build --parallel --no-cached
#   cached  (c) sam build --cached, four builds in a row on the same .aws-sam:
#                 c1 first build (empty SAM cache)
#                 c2 again, nothing changed
#                 c3 again after `touch` of one Go file (mtime only)
#                 c4 again after a real edit of that Go file (a comment appended)
# Optional (SCENARIOS="seq par cached cachedpar bis"):
#   cachedpar   the same four steps with --cached --parallel
#   bis         sam build --build-in-source --no-cached (no copy of the repo per function)
#
# WARM: a private GOCACHE ($OUT/gocache-warm) primed by one untimed `sam build`.
# COLD: a brand-new empty GOCACHE for each scenario (for `cached`, only c1 starts
#       cold; c2-c4 reuse what c1 put in it, as a developer's next builds would).
# The Go module cache (GOMODCACHE) is always warm (`go mod download` first,
# untimed): downloads would measure the network, not the build.
#
# Each scenario starts from `rm -rf .aws-sam` in a fresh clone of SRC, and is run
# with its own config file (flags explicit), so the repository's samconfig.toml
# build settings do not change what is measured. Every build is checked: all
# functions of template.yaml must have .aws-sam/build/<Fn>/bootstrap, an
# ARM aarch64 statically linked ELF, or the run is marked BAD.
#
# Knobs (environment):
#   SRC=<this repository>  repository to measure; cloned with `git clone` (committed
#                       state, no node_modules). SRC_MODE=copy copies the work
#                       tree instead (untracked files too, e.g. infra/*/node_modules,
#                       which sam's CopySource copies once per function).
#   SAM=sam            the SAM CLI (from PATH unless set)
#   OUT=${TMPDIR:-/tmp}/sam-build-measure-<UTC time>   logs, results.tsv, summary.md
#   REPEAT=1   SCENARIOS="seq par cached"   GOCACHES="warm cold"
#   TOUCH_FILE=functions/get-business/main.go   the Go file of steps c3/c4
set -euo pipefail

SAM=${SAM:-$(command -v sam || echo sam)}
SRC=${SRC:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}
SRC_MODE=${SRC_MODE:-clone}
OUT=${OUT:-${TMPDIR:-/tmp}/sam-build-measure-$(date -u +%Y%m%dT%H%M%SZ)}
REPEAT=${REPEAT:-1}
SCENARIOS=${SCENARIOS:-"seq par cached"}
GOCACHES=${GOCACHES:-"warm cold"}
TOUCH_FILE=${TOUCH_FILE:-functions/get-business/main.go}

export SAM_CLI_TELEMETRY=0          # no metrics sent (there is no network for them anyway)
# The Python that runs the SAM CLI (its venv's): the summary asks it for
# the versions, and a function list from the template.
PY=${PY:-$(dirname "$(readlink -f "$SAM")")/python}

mkdir -p "$OUT/logs"
WORK=$OUT/work
RESULTS=$OUT/results.tsv
SUMMARY=$OUT/summary.md
CFG=$OUT/samconfig-measure.toml     # no build settings: every run's flags are explicit
printf 'version = 0.1\n' >"$CFG"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/measure.log" >&2; }

# --- the repository -------------------------------------------------------
rm -rf "$WORK"
if [ "$SRC_MODE" = copy ]; then
  mkdir -p "$WORK"
  (cd "$SRC" && tar -c --exclude=./.aws-sam --exclude=./build .) | tar -x -C "$WORK"
else
  git clone -q "$SRC" "$WORK"
fi
cd "$WORK"
[ -f "$TOUCH_FILE" ] || { echo "TOUCH_FILE $TOUCH_FILE not found in $SRC" >&2; exit 1; }
cp -p "$TOUCH_FILE" "$OUT/touch-file.orig"
restore_touch_file() { cp -p "$OUT/touch-file.orig" "$WORK/$TOUCH_FILE"; }

# The functions of template.yaml, to check every build's output.
"$PY" - >"$OUT/functions.txt" <<'EOF'
import yaml
class L(yaml.SafeLoader): pass
L.add_multi_constructor('!', lambda loader, suffix, node: None)   # !Ref, !Sub, ... not needed here
t = yaml.load(open('template.yaml'), Loader=L)
for k, v in t['Resources'].items():
    if v.get('Type') == 'AWS::Serverless::Function':
        print(k)
EOF
NFN=$(wc -l <"$OUT/functions.txt")

# --- the machine ----------------------------------------------------------
{
  echo "# sam build measurements ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "- repository: $SRC ($SRC_MODE) at $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'), $NFN functions"
  echo "- $("$SAM" --version), aws-lambda-builders $("$PY" -c 'import aws_lambda_builders as m; print(m.__version__)')"
  echo "- $(go version), $(make --version | head -1)"
  echo "- CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
  echo "- memory: $(free -g | awk '/^Mem:/{print $2}') GiB"
  echo "- GOFLAGS=$(go env GOFLAGS) GOMODCACHE=$(go env GOMODCACHE)"
  echo "- repo samconfig.toml build settings: $(sed -n '/^\[default.build.parameters\]/,/^\[/p' "$WORK/samconfig.toml" | grep -E '^(cached|parallel)' | tr '\n' ' ')"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$SUMMARY"
cat "$SUMMARY"
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD1" 'BEGIN{exit !(l > 0.5)}'; then
  log "WARNING: load average $LOAD1 > 0.5: the machine is not quiet, the figures will be inflated"
fi

# SAM checks PyPI for a newer version once a week, from inside the build command
# (up to 5 s, and it fails here: no network). Do that check now, untimed, so that
# no timed run pays for it.
"$PY" -c 'from samcli.lib.utils.version_checker import _inform_newer_version as f; f()' >/dev/null 2>&1 || true

log "go mod download (untimed, so the module cache is warm)"
go mod download

# --- one timed build --------------------------------------------------------
printf 'round\tgocache\tscenario\tstep\twall_s\tuser_s\tsys_s\trc\tcache_hits\tcache_misses\toutput\n' >"$RESULTS"

check_output() {  # prints OK or BAD:<reason>
  local fn b desc
  while read -r fn; do
    b=.aws-sam/build/$fn/bootstrap
    [ -f "$b" ] || { echo "BAD:missing-$fn"; return; }
    desc=$(file -b "$b")
    case "$desc" in
      *ELF*ARM\ aarch64*statically\ linked*) ;;
      *) echo "BAD:$fn:$desc" | tr '\t' ' '; return ;;
    esac
  done <"$OUT/functions.txt"
  echo OK
}

timed_build() {  # round gocache scenario step -- sam build args...
  local round=$1 gc=$2 sc=$3 step=$4; shift 5
  local name="r${round}-${gc}-${sc}-${step}" rc=0
  local logf="$OUT/logs/$name.log" tf="$OUT/logs/$name.time"
  log "run $name: sam build $* (GOCACHE=$GOCACHE)"
  /usr/bin/time -f '%e %U %S' -o "$tf" \
    "$SAM" build --config-file "$CFG" "$@" >"$logf" 2>&1 || rc=$?
  local hits misses out
  hits=$(grep -c 'Valid cache found' "$logf" || true)
  misses=$(grep -c 'Cache is invalid' "$logf" || true)
  if [ "$rc" = 0 ]; then out=$(check_output); else out=FAILED; fi
  read -r wall user sys < <(tail -1 "$tf")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$round" "$gc" "$sc" "$step" "$wall" "$user" "$sys" "$rc" "$hits" "$misses" "$out" >>"$RESULTS"
  log "  -> ${wall}s wall, ${user}s user, ${sys}s sys, rc=$rc, cache hits/misses ${hits}/${misses}, output $out"
}

fresh() { rm -rf "$WORK/.aws-sam" "$WORK/build"; restore_touch_file; }

run_scenario() {  # round gocache scenario
  local r=$1 gc=$2 sc=$3
  fresh
  if [ "$gc" = cold ]; then
    export GOCACHE
    GOCACHE=$(mktemp -d "$OUT/gocache-cold.XXXXXX")
  else
    export GOCACHE=$OUT/gocache-warm
  fi
  case "$sc" in
    seq) timed_build "$r" "$gc" seq a -- --no-cached ;;
    par) timed_build "$r" "$gc" par b -- --parallel --no-cached ;;
    bis) timed_build "$r" "$gc" bis e -- --build-in-source --no-cached ;;
    cached|cachedpar)
      local extra=(); [ "$sc" = cachedpar ] && extra=(--parallel)
      timed_build "$r" "$gc" "$sc" c1-first -- --cached "${extra[@]}"
      timed_build "$r" "$gc" "$sc" c2-nochange -- --cached "${extra[@]}"
      touch "$WORK/$TOUCH_FILE"
      timed_build "$r" "$gc" "$sc" c3-touched -- --cached "${extra[@]}"
      printf '\n// measure.sh: edited to invalidate caches\n' >>"$WORK/$TOUCH_FILE"
      timed_build "$r" "$gc" "$sc" c4-edited -- --cached "${extra[@]}"
      restore_touch_file ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
  if [ "$gc" = cold ]; then rm -rf "$GOCACHE"; fi
}

if [[ " $GOCACHES " == *" warm "* ]]; then
  log "priming the warm GOCACHE with one untimed sam build"
  fresh
  GOCACHE=$OUT/gocache-warm "$SAM" build --config-file "$CFG" --no-cached >"$OUT/logs/prime-warm.log" 2>&1
  log "  primed: output $(check_output)"
fi

for r in $(seq 1 "$REPEAT"); do
  for gc in $GOCACHES; do
    for sc in $SCENARIOS; do
      run_scenario "$r" "$gc" "$sc"
    done
  done
done
fresh

# --- summary: median wall (and CPU) per gocache/scenario/step -----------------
{
  echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- rounds: $REPEAT (figures are medians over the rounds); raw: $RESULTS, logs: $OUT/logs"
  echo
  echo "| Go cache | scenario | step | wall | user+sys CPU | SAM cache hits/misses | output |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  "$PY" - "$RESULTS" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
groups = {}
for r in rows:
    groups.setdefault((r['gocache'], r['scenario'], r['step']), []).append(r)
def fmt(s):
    s = float(s); m, sec = divmod(round(s), 60)
    return f"{m} min {sec:02d} s" if m else f"{s:.1f} s"
for (gc, sc, step), rs in groups.items():
    wall = statistics.median(float(r['wall_s']) for r in rs)
    cpu = statistics.median(float(r['user_s']) + float(r['sys_s']) for r in rs)
    hm = ", ".join(sorted({f"{r['cache_hits']}/{r['cache_misses']}" for r in rs}))
    outs = ", ".join(sorted({r['output'] if r['rc'] == '0' else f"rc={r['rc']}" for r in rs}))
    print(f"| {gc} | {sc} | {step} | {fmt(wall)} | {fmt(cpu)} | {hm} | {outs} |")
EOF
} >>"$SUMMARY"
echo
cat "$SUMMARY"
log "done: $SUMMARY"

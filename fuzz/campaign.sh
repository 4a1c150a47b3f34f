#!/usr/bin/env bash
# The fuzzing campaign (issue 21): every target in turn, one job at a time, at the lowest
# priority, so it can run in the background while the machine builds and tests.
#
#   fuzz/campaign.sh [SLICE_SECONDS] [UNTIL_HH:MM_UTC] [TARGET...]
#   fuzz/campaign.sh totals
#
# Each slice: libFuzzer for SLICE_SECONDS on the scratch corpus fuzz/target/corpus/<t>
# (first: new inputs go there) and the committed one fuzz/corpus/<t> (second), then the
# scratch inputs are merged into fuzz/corpus/<t> and `cargo fuzz cmin` minimises it in place.
# One line per slice is appended to fuzz/campaign-runs.tsv (committed: the running totals
# in docs/SECURITY.md are summed from it); the full output goes to fuzz/target/campaign/.
# No slice starts that would end after UNTIL (default: none). A finding stops only its own
# slice: the crash is in fuzz/artifacts/<t>/ and the line says so.
set -u
cd "$(dirname "$0")/.." || exit 1
# With autogroup scheduling (Linux's default on desktops and many servers), `nice` only ranks
# processes inside their own session: a campaign started with setsid would still take a
# whole core from a build in another session. Lowering the session's own group fixes that.
if [ -w /proc/self/autogroup ]; then echo 19 >/proc/self/autogroup 2>/dev/null || true; fi
runs=fuzz/campaign-runs.tsv

if [ "${1:-}" = totals ]; then
    # The table of docs/SECURITY.md §3: per target, the sums over every slice so far and the
    # coverage, date and commit of its last slice; then the running total.
    # A finding or a failed build is listed with the clean slices that ran after it (a fix
    # is recorded in docs/SECURITY.md; the run that follows it shows here).
    awk -F'\t' 'NR > 1 {
            n[$3]++; c[$3] += $5; e[$3] += $6; last[$3] = $8 " / " $9; when[$3] = $1 " (" $2 ")"
            if ($11 ~ /^build failed/) { unbuilt[$3] = unbuilt[$3] " " $1; clean[$3] = 0 }
            else if ($11 != "ok") { found[$3] = found[$3] " " $11; clean[$3] = 0 }
            else clean[$3]++
            tc += $5; te += $6
        }
        END {
            print "| target | slices | executions | CPU time | cov / ft (last slice) | last run (commit) | of its CPU-hour |"
            print "| --- | --- | --- | --- | --- | --- | --- |"
            for (t in n) printf "| `%s` | %d | %d | %d min %02d s | %s | %s | %.0f%% |\n", t, n[t], e[t], c[t] / 60, c[t] % 60, last[t], when[t], 100 * c[t] / 3600
            printf "| **total** | | %d | %d h %02d min | | | |\n", te, tc / 3600, (tc % 3600) / 60
            for (t in found) printf "\nfindings in `%s`:%s; clean slices since: %d\n", t, found[t], clean[t]
            for (t in unbuilt) printf "\n`%s` did not build (no run) at:%s; clean slices since: %d\n", t, unbuilt[t], clean[t]
        }' "$runs"
    exit 0
fi

slice=${1:-600}
until=${2:-}
shift $(($# < 2 ? $# : 2))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
deadline=0
if [ -n "$until" ]; then
    deadline=$(date -u -d "$until" +%s)
    # A time already past today is tomorrow's: a night run started before midnight.
    [ "$deadline" -le "$(date -u +%s)" ] && deadline=$((deadline + 86400))
fi
logs=fuzz/target/campaign
mkdir -p "$logs"
[ -f "$runs" ] || printf 'date\tcommit\ttarget\tseconds\tcpu_s\texecs\texec_per_s\tcov\tft\tcorpus\tresult\n' >"$runs"

# Inputs longer than libFuzzer's default 4096 bytes where the decoder needs them.
max_len() {
    case $1 in
    padding_unpad) echo 16390 ;; # the largest chat bucket and a selector byte
    handshake_vs_snow) echo 1400 ;; # a message 2 up to its 1024-byte limit, and beyond
    resources_parse | config_parse) echo 8192 ;; # the shipped files are seeds
    *) echo 4096 ;;
    esac
}

export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    now=$(date -u +%s)
    if [ "$deadline" -gt 0 ] && [ $((now + slice + 120)) -gt "$deadline" ]; then
        echo "stopping before $t: the slice would end after $until"
        break
    fi
    scratch=fuzz/target/corpus/$t
    mkdir -p "$scratch" "fuzz/corpus/$t"
    log=$logs/$t-$(date -u +%Y%m%dT%H%M%S).log
    started=$(date -u +%Y-%m-%dT%H:%MZ)
    commit=$(git rev-parse --short HEAD)
    # The build is not part of the slice's CPU time: build first, then time the run alone.
    # A target that does not build is not a finding: say so, and go on to the next.
    if ! nice -n 19 cargo fuzz build "$t" >>"$log" 2>&1; then
        printf '%s\t%s\t%s\t0\t0\t0\t?\t?\t?\t%s\tbuild failed, no run (%s)\n' "$started" "$commit" "$t" \
            "$(find "fuzz/corpus/$t" -type f ! -name '.*' | wc -l)" "$log" | tee -a "$runs"
        continue
    fi
    t0=$(date -u +%s)
    /usr/bin/time -f 'cpu %U %S' -a -o "$log.time" \
        nice -n 19 cargo fuzz run "$t" "$scratch" "fuzz/corpus/$t" -- \
        -max_total_time="$slice" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" >>"$log" 2>&1
    status=$?
    seconds=$(($(date -u +%s) - t0))
    result=ok
    [ $status -eq 0 ] || result="finding (exit $status): $(grep -o 'fuzz/artifacts/[^ ]*' "$log" | tail -1)"
    cpu=$(awk '/^cpu/ { print $2 + $3 }' "$log.time" | tail -1)
    execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
    rate=$(awk '/stat::average_exec_per_sec/ { print $NF }' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    # Keep only what adds coverage: scratch and committed inputs merged, then minimised.
    cp -n "$scratch"/* "fuzz/corpus/$t/" 2>/dev/null
    nice -n 19 cargo fuzz cmin "$t" "fuzz/corpus/$t" -- -timeout=30 -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" >>"$log" 2>&1
    corpus=$(find "fuzz/corpus/$t" -type f ! -name '.*' | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$started" "$commit" "$t" "$seconds" \
        "${cpu:-?}" "${execs:-0}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$result" | tee -a "$runs"
done

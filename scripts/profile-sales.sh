#!/usr/bin/env bash
# The server's cost per booking, sale by sale (docs/performance.md, "Where the streams' CPU
# went"). Runs the release server on a FRESH schema of $DATABASE_URL's database (its public
# schema is dropped!) with the settings of scripts/bench.sh, runs `boxoffice-bench --phases
# flash` against it with the given bench arguments, and measures each sale inside its clock
# (the bench's BENCH_SALE_HOOK):
#
# - callgrind: the server under `valgrind --tool=callgrind`, its counters dumped when a sale's
#   clock starts and when it stops: two files per sale in OUT_DIR (callgrind.PID.N, in order:
#   what came before the sale, then the sale; `callgrind_annotate --inclusive=yes FILE`), and
#   instructions per booking of each sale (user space only: the kernel's work for the
#   server's system calls is not counted).
# - perfstat: the server natively, with `perf stat` attached to it during each sale (task
#   clock, context switches, system calls by kind) and its user and system CPU time from
#   /proc/PID/stat: OUT_DIR/perf-N.txt, OUT_DIR/cpu-N.txt and a line per sale.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/mydb \
#     scripts/profile-sales.sh callgrind|perfstat OUT_DIR [VAR=value ...] -- [bench args]
#
# VAR=value pairs go to the server's environment (e.g. APP_OUTBOX__ENABLED=false).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

[ $# -ge 2 ] || die "usage: $0 callgrind|perfstat OUT_DIR [VAR=value ...] -- [bench args]"
mode="$1"; out="$2"; shift 2
case "$mode" in callgrind|perfstat) ;; *) die "mode: callgrind or perfstat" ;; esac
envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL must name a database this script may wipe"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
if [ "$mode" = callgrind ]; then
    command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
    runner=(valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$out/callgrind.%p")
else
    command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
    runner=()
fi

bin_dir="$(target_dir)/release"
server="$bin_dir/boxoffice"
bench="$bin_dir/boxoffice-bench"
[ -x "$server" ] && [ -x "$bench" ] || die "build first: cargo build --release -p boxoffice -p boxoffice-bench"
PORT="${BENCH_PORT:-18097}"
rm -f "$out"/callgrind.* "$out"/perf-*.txt "$out"/cpu-*.txt

say "fresh schema in $DATABASE_URL"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
"$server" migrate >/dev/null
BENCH_ADMIN_EMAIL="bench-admin@boxoffice.local"
BENCH_ADMIN_PASSWORD="bench-admin-password"
printf '%s\n' "$BENCH_ADMIN_PASSWORD" | "$server" create-admin --email "$BENCH_ADMIN_EMAIL" >/dev/null

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
say "boxoffice serve ($mode) on 127.0.0.1:$PORT ${envs[*]:-}"
env RUST_LOG=warn APP_RATE_LIMIT__ENABLED=false APP_LIVE__MAX_STREAMS_PER_CLIENT=5000 \
    APP_LIVE__KEEP_ALIVE_SECS=2 APP_EMAIL__DIR="$out/mail" ${envs[@]+"${envs[@]}"} \
    ${runner[@]+"${runner[@]}"} "$server" serve --bind "127.0.0.1:$PORT" >"$out/server.log" 2>&1 &
pid=$!
stop() {
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
}
trap stop EXIT INT TERM

# The hook, around each sale's clock. callgrind: dump what came before the sale (the outbox's
# deliveries of the sales before, the set-up, the streams' opening: "before: TITLE"), then the
# sale (TITLE).
# perfstat: attach perf stat and note the server's user/system ticks; then note them again and
# stop perf stat.
hook="$out/hook.sh"
if [ "$mode" = callgrind ]; then
    cat >"$hook" <<HOOK
#!/bin/sh
case "\$1" in
    start) callgrind_control -d "before: \$2" $pid >/dev/null ;;
    end) callgrind_control -d "\$2" $pid >/dev/null ;;
esac
HOOK
else
    events=task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_write
    events=$events,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_read
    events=$events,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait
    cat >"$hook" <<HOOK
#!/bin/sh
n=\$(ls "$out"/cpu-*.txt 2>/dev/null | wc -l)
case "\$1" in
    start)
        n=\$((n + 1))
        perf stat -e $events -p $pid -o "$out/perf-\$n.txt" >/dev/null 2>&1 &
        echo \$! >"$out/perf.pid"
        sleep 0.3
        echo "\$2" >"$out/cpu-\$n.txt"
        awk '{print \$14, \$15}' /proc/$pid/stat >>"$out/cpu-\$n.txt" ;;
    end)
        awk '{print \$14, \$15}' /proc/$pid/stat >>"$out/cpu-\$n.txt"
        kill -INT \$(cat "$out/perf.pid"); sleep 0.3 ;;
esac
HOOK
fi
chmod +x "$hook"

# /health answers before the server has checked the schema (slow under valgrind): wait for /ready.
for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$out/server.log" >&2; die "the server exited"; }
    sleep 0.5
done

BENCH_SALE_HOOK="$hook" BENCH_ADMIN_EMAIL="$BENCH_ADMIN_EMAIL" BENCH_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" \
    "$bench" --server "http://127.0.0.1:$PORT" --server-pid "$pid" --wait-health 300 \
    --phases flash "$@" 2>&1 | tee "$out/bench.log"
stop
trap - EXIT INT TERM

mapfile -t bookings < <(grep -E '^  bookings ' "$out/bench.log" | awk '{print $2}')
if [ "$mode" = perfstat ]; then
    say "per booking, inside each sale's clock: the server's user and system CPU, system calls, writes, context switches"
    for i in $(seq 1 "${#bookings[@]}"); do
        f="$out/cpu-$i.txt"; p="$out/perf-$i.txt"; n="${bookings[$((i - 1))]}"
        [ -f "$f" ] && [ -f "$p" ] || continue
        read -r u0 s0 < <(sed -n 2p "$f")
        read -r u1 s1 < <(sed -n 3p "$f")
        cnt() { awk -v e="$1" '$2 == e { gsub(",", "", $1); print $1 + 0; f = 1 } END { if (!f) print 0 }' "$p"; }
        sys="$(cnt raw_syscalls:sys_enter)"
        cs="$(cnt context-switches)"
        wr=$(( $(cnt syscalls:sys_enter_write) + $(cnt syscalls:sys_enter_writev) + $(cnt syscalls:sys_enter_sendto) ))
        awk -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v sys="$sys" -v wr="$wr" -v cs="$cs" -v t="$(head -1 "$f")" \
            'BEGIN { printf "%5d bookings  user %.3f ms  system %.3f ms  syscalls %.1f  writes %.1f  switches %.1f  (%s)\n", n, 10*u/n, 10*s/n, sys/n, wr/n, cs/n, t }'
    done | tee "$out/per-booking.txt"
    exit 0
fi
say "instructions (server, user space) per dump; per booking inside each sale's clock"
i=0
for f in $(ls "$out"/callgrind.*.[0-9]* 2>/dev/null | sort -t. -k3 -n); do
    title="$(sed -n 's/^desc: Trigger: Client Request: //p; s/^desc: Trigger: //p' "$f" | head -1)"
    ir="$(sed -n 's/^summary: //p; s/^totals: //p' "$f" | head -1 | awk '{print $1}')"
    per="-"; n="-"
    if ! grep -q '^desc: .*before: ' "$f"; then
        n="${bookings[$i]:-0}"
        [ "$n" -gt 0 ] 2>/dev/null && per="$(awk -v a="$ir" -v b="$n" 'BEGIN { printf "%.0f", a / b }')"
        i=$((i + 1))
    fi
    printf '%s\t%s Ir\t%s bookings\t%s Ir/booking\t(%s)\n' "$(basename "$f")" "$ir" "$n" "$per" "$title"
done | tee "$out/per-booking.txt"

#!/usr/bin/env python3
"""Measures the daemon at one scale: fill, startup to READY=1, incremental latency, reload, RSS, store size.

Called by scripts/bench-daemon.sh once per scale; prints one JSON object (the shell script makes the table).

What is measured (monotonic clock of this process, which starts and watches the daemon):
- fill: every county file renamed into the inbox of an empty state directory (or `warnd import`, if the binary
  has it), until all are archived; rows/s = rows / wall time.
- startup: spawn of `warnd run` -> the READY=1 datagram on a NOTIFY_SOCKET stand-in (a unix datagram socket
  bound here); the daemon's own per-phase breakdown is read from its "startup took" log line.
- incremental: each submission is one county's rows of one year, with every value revised (a different factor
  per submission, so no file is a duplicate), written beforehand under a dot-name with an old mtime (settled)
  and renamed into the inbox; t0 = just before rename(2). Then, from t0:
    journal  = the first alert transition line on the daemon's stderr (the journal entries' text; only
               submissions that changed an alert's state have one),
    region   = alerts/regions/<county>.json renamed into place (inotify IN_MOVED_TO),
    done     = the daemon's "evaluation finished (data file …)" line: judged, stored, announced, region written,
    active   = alerts/active.json renamed into place (coalesced: at most once per alert_files_interval).
  Submissions are sequential: the next one starts when the previous file is archived.
- reload: `warnd reload --pid` wall time (signal -> reload.json with a new generation), plus the daemon's
  "reload took" line (load and validate / swap / re-evaluation).
- RSS: VmHWM of the daemon from /proc/PID/status before SIGTERM; shutdown: SIGTERM -> exit (includes the final
  flush of active.json and report.md).
- restart: the daemon started again on the same state (alert state stored, nothing new to announce): spawn ->
  READY=1, the steady case of `systemctl restart`; the first start above announces every alert of the new store.
"""
import argparse
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

IN_MOVED_TO = 0x00000080
IN_CLOSE_WRITE = 0x00000008
libc = ctypes.CDLL("libc.so.6", use_errno=True)


class Watch:
    """inotify on a few directories; records (monotonic time, dir, name) of files renamed into them."""

    def __init__(self, dirs):
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.wd = {}
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            w = libc.inotify_add_watch(self.fd, d.encode(), IN_MOVED_TO)
            self.wd[w] = d
        self.events = []
        self.lock = threading.Lock()
        self.stop = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if not r:
                continue
            now = time.monotonic()
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            i = 0
            while i < len(buf):
                wd, mask, cookie, length = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16:i + 16 + length].rstrip(b"\0").decode("utf-8", "replace")
                i += 16 + length
                with self.lock:
                    self.events.append((now, self.wd.get(wd), name))

    def first(self, d, name, after):
        with self.lock:
            for t, dd, n in self.events:
                if t >= after and dd == d and n == name:
                    return t
        return None


class Daemon:
    def __init__(self, warnd, rules, state, config, now, notify_path):
        self.lines = []
        self.lock = threading.Lock()
        self.ready = None
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(notify_path)
        self.notifications = []
        threading.Thread(target=self.notify_loop, daemon=True).start()
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop("WATCHDOG_USEC", None)
        args = [warnd, "run", "--rules", rules, "--state-dir", state, "--log", "stderr", "--now", now]
        if config:
            args += ["--config", config]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        threading.Thread(target=self.read_loop, daemon=True).start()
        threading.Thread(target=self.rss_guard, daemon=True).start()

    rss_limit_kib = 6144 * 1024

    def rss_guard(self):
        while self.proc.poll() is None:
            try:
                with open("/proc/%d/status" % self.proc.pid) as f:
                    rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            except (OSError, StopIteration):
                return
            if rss > self.rss_limit_kib:
                sys.stderr.write("bench-daemon: RSS %d MiB above the limit, stopping the daemon\n" % (rss // 1024))
                self.proc.kill()
                return
            time.sleep(0.5)

    def notify_loop(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            now = time.monotonic()
            text = data.decode("utf-8", "replace")
            self.notifications.append((now, text))
            if "READY=1" in text.split("\n") and self.ready is None:
                self.ready = now

    def read_loop(self):
        for raw in self.proc.stderr:
            now = time.monotonic()
            with self.lock:
                self.lines.append((now, raw.decode("utf-8", "replace").rstrip("\n")))

    def wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while self.ready is None:
            if self.proc.poll() is not None:
                raise SystemExit("warnd exited before READY=1:\n" + "\n".join(l for _, l in self.lines[-20:]))
            if time.monotonic() > end:
                raise SystemExit("no READY=1 within %d s" % timeout)
            time.sleep(0.01)
        self.ready_cpu = self.cpu_s()
        return self.ready - self.t0

    def wait_find(self, pattern, seconds=5.0):
        """find(), polling for up to `seconds`: the reader thread may not have read a line logged just now."""
        end = time.monotonic() + seconds
        while True:
            m = self.find(pattern)
            if m or time.monotonic() >= end:
                return m
            time.sleep(0.05)

    def find(self, pattern, after=0.0, start_index=0):
        rx = re.compile(pattern)
        with self.lock:
            lines = self.lines[start_index:]
        for t, l in lines:
            if t >= after and rx.search(l):
                return t, l
        return None

    def line_count(self):
        with self.lock:
            return len(self.lines)

    def cpu_s(self):
        """user + system CPU seconds of the daemon so far (/proc/PID/stat), less noisy than wall time on a shared machine."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def vmhwm_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for l in f:
                if l.startswith("VmHWM:"):
                    return int(l.split()[1])
        return None

    def stop(self, timeout=600):
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout)
        self.sock.close()
        return time.monotonic() - t


def rows_of(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


def utf8(path):
    try:
        with open(path, encoding="utf-8") as f:
            f.read()
        return True
    except UnicodeDecodeError:
        return False


def wait_archived(state, expected, daemon, timeout):
    end = time.monotonic() + timeout
    while True:
        n = len(os.listdir(os.path.join(state, "archive"))) if os.path.isdir(os.path.join(state, "archive")) else 0
        r = len([x for x in os.listdir(os.path.join(state, "rejected")) if not x.endswith(".error")]) \
            if os.path.isdir(os.path.join(state, "rejected")) else 0
        if n + r >= expected:
            return n, r
        if daemon.proc.poll() is not None:
            raise SystemExit("warnd exited while ingesting")
        if time.monotonic() > end:
            raise SystemExit("only %d of %d files archived within %d s" % (n, expected, timeout))
        time.sleep(0.05)


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warnd", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--submissions", type=int, default=500)
    ap.add_argument("--now", default="2025-07-01")
    ap.add_argument("--year", default="2024")
    ap.add_argument("--reloads", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=7200)
    ap.add_argument("--fill-chunk", type=int, default=1,
                    help="counties per file when filling through the inbox (large scales: fewer, larger files)")
    ap.add_argument("--rss-limit-mib", type=int, default=6144, help="stop the daemon above this RSS")
    ap.add_argument("--filled-cache", help="reuse (or keep) a copy of the filled state directory here")
    ap.add_argument("--dump", help="write each submission's times and the daemon's log lines meanwhile here (JSON)")
    a = ap.parse_args()

    warnd = os.path.abspath(a.warnd)
    Daemon.rss_limit_kib = a.rss_limit_mib * 1024
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    state = os.path.join(work, "state")
    os.makedirs(os.path.join(state, "inbox"))
    config = os.path.join(work, "warnd.yaml")
    with open(config, "w") as f:
        # The schedule must not fire during the run; everything else is the default.
        f.write("evaluation_interval: 24h\n")
    notify = os.path.join(work, "notify.sock")
    files = sorted(x for x in os.listdir(a.data) if x.endswith(".csv"))
    rows = sum(rows_of(os.path.join(a.data, x)) for x in files)
    out = {"counties": len(files), "rows": rows}

    def partial():
        # What is known so far, for long runs that may be cut short.
        with open(os.path.join(work, "partial.json"), "w") as f:
            json.dump(out, f, ensure_ascii=False)

    # Fill the store: `warnd import` when the binary has one, else through the inbox.
    usage = subprocess.run([warnd, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    has_import = re.search(r"^\s+import\b", usage, re.M) is not None
    t = time.monotonic()
    filled = False
    if a.filled_cache and os.path.isdir(a.filled_cache):
        shutil.rmtree(state)
        shutil.copytree(a.filled_cache, state)
        filled = True
        out["fill_method"] = "cached copy"
    elif has_import:
        # The import also makes the first evaluation and records the alert state (as of the daemon's day).
        r = subprocess.run([warnd, "import", "--rules", a.rules, "--state-dir", state] +
                           (["--now", a.now] if a.now else []) +
                           [os.path.join(a.data, x) for x in files], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        filled = r.returncode == 0
        evaluated = [l for l in r.stdout.decode("utf-8", "replace").splitlines() if l.startswith("evaluated:")]
        if evaluated:
            out["fill_evaluation"] = evaluated[-1]
        out["fill_method"] = "warnd import" if filled else "inbox (warnd import failed: %s)" % \
            r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
    if not filled:
        out["fill_method"] = out.get("fill_method", "inbox")
        d = Daemon(warnd, a.rules, state, config, a.now, notify)
        d.wait_ready(a.timeout)
        inbox = os.path.join(state, "inbox")
        t = time.monotonic()
        chunks = [files[i:i + a.fill_chunk] for i in range(0, len(files), a.fill_chunk)]
        for k, chunk in enumerate(chunks):
            name = chunk[0] if len(chunk) == 1 else "fill-%04d.csv" % k
            tmp = os.path.join(inbox, "." + name)
            with open(tmp, "wb") as out_f:
                for j, x in enumerate(chunk):
                    with open(os.path.join(a.data, x), "rb") as in_f:
                        if j > 0:
                            in_f.readline()
                        shutil.copyfileobj(in_f, out_f)
            os.utime(tmp, (time.time() - 60, time.time() - 60))
            os.rename(tmp, os.path.join(inbox, name))
        out["fill_files"] = len(chunks)
        archived, rejected = wait_archived(state, len(chunks), d, a.timeout)
        out["fill_rejected"] = rejected
        out["fill_hwm_mib"] = round(d.vmhwm_kib() / 1024)
        d.stop()
    if out["fill_method"] != "cached copy":
        out["fill_s"] = round(time.monotonic() - t, 1)
        out["fill_rows_per_s"] = round(rows / (time.monotonic() - t))
    shutil.rmtree(os.path.join(state, "archive"), ignore_errors=True)
    if a.filled_cache and not os.path.isdir(a.filled_cache):
        shutil.copytree(state, a.filled_cache)
    sizes = {}
    for x in os.listdir(state):
        if x.startswith("warnd.sqlite"):
            sizes[x] = os.path.getsize(os.path.join(state, x))
    out["store_mb"] = round(sum(sizes.values()) / 1e6, 1)
    partial()

    # Startup to READY=1 with the store filled.
    alerts_dir = os.path.join(state, "alerts")
    regions_dir = os.path.join(alerts_dir, "regions")
    watch = Watch([alerts_dir, regions_dir])
    d = Daemon(warnd, a.rules, state, config, a.now, notify)
    out["startup_s"] = round(d.wait_ready(a.timeout), 3)
    out["startup_cpu_s"] = round(d.ready_cpu, 2)
    m = d.wait_find(r"startup took (.*)")
    if m:
        out["startup_phases"] = m[1].split("startup took ", 1)[1]
    # Logged right after "startup took": waited for too, or the backlog wait below is skipped by a race.
    rss = d.wait_find(r"startup rss MiB: (.*)")
    if rss:
        out["startup_rss_mib"] = rss[1].split("startup rss MiB: ", 1)[1]
    ev = d.find(r"evaluation finished \(startup\): (\d+) checks, (\d+) alerts")
    if ev:
        mm = re.search(r"(\d+) checks, (\d+) alerts", ev[1])
        out["checks"], out["alerts"] = int(mm.group(1)), int(mm.group(2))
        pm = re.search(r"\(ms: (.*)\)", ev[1])
        if pm:
            out["startup_evaluation_phases"] = pm.group(1)
    # The first active.json after startup (written by the background writer after READY).
    end = time.monotonic() + a.timeout
    while watch.first(alerts_dir, "active.json", d.t0) is None and time.monotonic() < end:
        time.sleep(0.05)
    ta = watch.first(alerts_dir, "active.json", d.t0)
    out["first_active_after_ready_s"] = round(ta - d.ready, 3) if ta else None
    out["active_json_mb"] = round(os.path.getsize(os.path.join(alerts_dir, "active.json")) / 1e6, 1)
    out["startup_hwm_mib"] = round(d.vmhwm_kib() / 1024)
    # A daemon that logs the stored transitions (the import's, the first evaluation's) after READY=1 says when they
    # are all sent; the submissions are measured after that (the first one would otherwise send the rest first).
    if rss and out.get("alerts"):
        done_re = r"startup transitions announced|stored transitions logged"
        while d.find(done_re) is None and time.monotonic() < end:
            time.sleep(0.05)
        ann = d.find(done_re)
        out["backlog_announced_after_ready_s"] = round(ann[0] - d.ready, 3) if ann else None
    partial()

    # Incremental submissions.
    inbox = os.path.join(state, "inbox")
    # Counties' files (UTF-8 ones: the shipped examples include a GB18030 file, which is only filled).
    candidates = [x for x in files if utf8(os.path.join(a.data, x))]
    step = max(1, len(candidates) // a.submissions)
    chosen = [candidates[(i * step) % len(candidates)] for i in range(a.submissions)]
    prepared = []
    for i, x in enumerate(chosen):
        with open(os.path.join(a.data, x), encoding="utf-8") as f:
            header = f.readline()
            cols = header.strip().split(",")
            pi, vi = cols.index("period"), cols.index("value")
            lines = [header]
            # Down only (rates have an upper bound of 100), alternating, never the same file twice.
            factor = (0.85 if i % 2 == 0 else 0.97) - i * 1e-3
            for l in f:
                c = l.rstrip("\n").split(",")
                if c[pi] != a.year or c[vi] == "":
                    continue
                c[vi] = "%.4f" % (float(c[vi]) * factor)
                lines.append(",".join(c) + "\n")
        name = "%s-rev%03d.csv" % (x[:-4], i)
        tmp = os.path.join(inbox, "." + name)
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines)
        old = time.time() - 60
        os.utime(tmp, (old, old))
        region = lines[1].split(",")[cols.index("region")] if len(lines) > 1 else x[:-4]
        prepared.append((name, region, tmp, len(lines) - 1))
    lat = {"journal": [], "region": [], "done": [], "active": []}
    transitions = 0
    starts = []
    phases = {}
    for name, region, tmp, n in prepared:
        start_line = d.line_count()
        t0 = time.monotonic()
        os.rename(tmp, os.path.join(inbox, name))
        end = time.monotonic() + 600
        # Taken: moved out of the inbox to archive/ (renamed with a date and hash prefix) or rejected/.
        while os.path.exists(os.path.join(inbox, name)):
            if time.monotonic() > end or d.proc.poll() is not None:
                raise SystemExit("submission %s not archived" % name)
            time.sleep(0.002)
        done = None
        for _ in range(500):
            done = d.find(r"evaluation finished \(data file " + re.escape(name) + r"\)", t0, start_line)
            if done:
                break
            time.sleep(0.002)
        if done:
            lat["done"].append(done[0] - t0)
            pm = re.search(r"\(ms: (.*)\)", done[1])
            if pm:
                for part in pm.group(1).split(", "):
                    k, v = part.rsplit(" ", 1)
                    phases.setdefault(k, []).append(float(v) / 1000)
            m = re.search(r"(\d+) transitions", done[1])
            k = int(m.group(1)) if m else 0
            transitions += k
            if k > 0:
                # The first line after the rename that is not ingest bookkeeping: an alert transition.
                with d.lock:
                    lines = d.lines[start_line:]
                for tl, l in lines:
                    if tl >= t0 and region in l and ("已解除" in l or "（" in l) and "evaluation finished" not in l:
                        lat["journal"].append(tl - t0)
                        break
        tr = watch.first(regions_dir, region + ".json", t0)
        if tr:
            lat["region"].append(tr - t0)
        starts.append(t0)
    if a.dump:
        # For looking into outliers: each submission's rename time and latencies, and every log line since the first.
        with d.lock:
            since = [(t, l) for t, l in d.lines if starts and t >= starts[0]]
        with open(a.dump, "w", encoding="utf-8") as f:
            json.dump({"submissions": [{"name": p[0], "region": p[1], "t0": t0} for p, t0 in zip(prepared, starts)],
                       "lines": since}, f, ensure_ascii=False)
    # active.json lags by design (coalesced): the time from each rename to the next active.json on disk.
    end = time.monotonic() + 600
    while watch.first(alerts_dir, "active.json", starts[-1]) is None and time.monotonic() < end:
        time.sleep(0.05)
    for t0 in starts:
        ta = watch.first(alerts_dir, "active.json", t0)
        if ta:
            lat["active"].append(ta - t0)
    out["submissions"] = len(prepared)
    out["rejected_submissions"] = len([x for x in os.listdir(os.path.join(state, "rejected"))
                                       if not x.endswith(".error")]) if os.path.isdir(os.path.join(state, "rejected")) else 0
    out["transitions"] = transitions
    for k, v in lat.items():
        out["inc_%s_n" % k] = len(v)
        out["inc_%s_p50_ms" % k] = round(pct(v, 50) * 1000, 1) if v else None
        out["inc_%s_p99_ms" % k] = round(pct(v, 99) * 1000, 1) if v else None
        out["inc_%s_max_ms" % k] = round(max(v) * 1000, 1) if v else None

    out["inc_phases_p50_p99_ms"] = ", ".join("%s %.1f/%.1f" % (k, pct(v, 50) * 1000, pct(v, 99) * 1000)
                                             for k, v in phases.items())

    partial()

    # Reload.
    reloads = []
    for _ in range(a.reloads):
        start_line = d.line_count()
        t = time.monotonic()
        r = subprocess.Popen([warnd, "reload", "--pid", str(d.proc.pid), "--state-dir", state, "--config", config,
                              "--timeout", "3600"], stdout=subprocess.DEVNULL)
        while r.poll() is None:
            if d.proc.poll() is not None:  # the daemon died (e.g. stopped by the RSS guard): no outcome will come
                r.kill()
                r.wait()
                out["reload_error"] = "the daemon exited during the reload (exit %s)" % d.proc.returncode
                partial()
                print(json.dumps(out, ensure_ascii=False))
                return
            time.sleep(0.01)
        if r.returncode != 0:
            raise SystemExit("warnd reload failed")
        reloads.append(time.monotonic() - t)
        m = None
        for _ in range(200):
            m = d.find(r"reload took: (.*)", t, start_line)
            if m:
                break
            time.sleep(0.01)
        if m:
            out["reload_phases"] = m[1].split("reload took: ", 1)[1]
        out["reload_s"] = [round(x, 3) for x in reloads]
        partial()
    out["hwm_mib"] = round(d.vmhwm_kib() / 1024)
    out["run_cpu_s"] = round(d.cpu_s(), 2)
    out["shutdown_s"] = round(d.stop(), 2)
    partial()

    # Restart: the steady case of `systemctl restart` (alert state already stored, nothing new to announce),
    # unlike the first start above, which announces every alert of the freshly filled store.
    d = Daemon(warnd, a.rules, state, config, a.now, notify)
    out["restart_s"] = round(d.wait_ready(a.timeout), 3)
    out["restart_cpu_s"] = round(d.ready_cpu, 2)
    m = d.wait_find(r"startup took (.*)")
    if m:
        out["restart_phases"] = m[1].split("startup took ", 1)[1]
    rss = d.wait_find(r"startup rss MiB: (.*)")
    if rss:
        out["restart_rss_mib"] = rss[1].split("startup rss MiB: ", 1)[1]
    ev = d.find(r"evaluation finished \(startup\): .*\(ms: (.*)\)")
    if ev:
        out["restart_evaluation_phases"] = re.search(r"\(ms: (.*)\)", ev[1]).group(1)
    out["restart_hwm_mib"] = round(d.vmhwm_kib() / 1024)
    # Then the first active.json of the restarted daemon (encoded by the background writer): its peak.
    end = time.monotonic() + a.timeout
    while watch.first(alerts_dir, "active.json", d.ready) is None and time.monotonic() < end:
        time.sleep(0.05)
    ta = watch.first(alerts_dir, "active.json", d.ready)
    out["restart_active_after_ready_s"] = round(ta - d.ready, 3) if ta else None
    out["restart_hwm_after_files_mib"] = round(d.vmhwm_kib() / 1024)
    d.stop()
    watch.stop = True
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A stand-in for warnd that keeps the daemon's systemd contract, to prove the unit and the harnesses.

Not warnd: it evaluates nothing. It does what the unit and the operators depend on, the way the real daemon must:

  warnd-standin.py run [--config FILE]
      "loads" the rules (every *.yaml in the rules directory; a line `invalid: <text>` is an error, reported as
      file:line:column), exits 1 with every error when they are invalid at startup; reads every file in
      <state>/inbox (so the unit's SupplementaryGroups= is exercised), moves it to archive/; writes
      alerts/active.json, events.jsonl, report.md and reload.json; sends READY=1 + STATUS= from the main
      process (NotifyAccess=main); WATCHDOG=1 at half WatchdogSec; SIGHUP: RELOADING=1 … READY=1, all or
      nothing, refused reloads keep the old rules and say so in STATUS=; SIGTERM: STOPPING=1, files, exit 0.
      Logs structured entries to journald (SYSLOG_IDENTIFIER=warnd, MESSAGE_ID from MessageID.swift, WARND_*).
  warnd-standin.py reload --pid PID [--config FILE]
      what ExecReload= runs: SIGHUP to PID, waits (60 s) for reload.json's generation to increase, prints the
      errors, exits 1 when the new rules were refused.

Only the Python standard library; /usr/bin/python3 because the unit's ProtectHome= hides /root (pyenv).
"""
import json, os, signal, socket, struct, sys, threading, time

MESSAGE_IDS = {  # Sources/WarnD/Journal/MessageID.swift
    "fileAccepted": "f29412e3a68d41bf876767d4119cbf91",
    "rulesLoaded": "5abf600bc4bd4595974b96ce938db439",
    "reloadFailed": "51f6cda5d7544b6a9dff44d547942ccc",
    "evaluationFinished": "ff00852c9be64e9abb0cb2e9f616ee5f",
    "started": "6d3c1ad6e2104f47b51de6d8f1f55b35",
}


def journal(message, priority=6, message_id=None, **fields):
    """One native-protocol entry; values with a newline use the length-prefixed form, as sd_journal_sendv does."""
    items = {"MESSAGE": message, "PRIORITY": str(priority), "SYSLOG_IDENTIFIER": "warnd"}
    if message_id:
        items["MESSAGE_ID"] = MESSAGE_IDS[message_id]
    items.update({"WARND_" + k.upper(): str(v) for k, v in fields.items()})
    data = b""
    for k, v in items.items():
        v = v.encode()
        data += (k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n") if b"\n" in v else (k.encode() + b"=" + v + b"\n")
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(data, "/run/systemd/journal/socket")
        s.close()
    except OSError:
        print(message, file=sys.stderr, flush=True)


def notify(state):
    """sd_notify: from this (the main) process, so NotifyAccess=main accepts it. Returns whether it was sent."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(state.encode(), addr)
        return True
    finally:
        s.close()


def config(path):
    """The keys of warnd.yaml the stand-in needs, from `key: value` lines; the defaults of the contract."""
    conf = {}
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.split("#", 1)[0]
            if ":" in line:
                k, v = line.split(":", 1)
                if v.strip():
                    conf[k.strip()] = v.strip()
    cfg_dir = os.environ.get("CONFIGURATION_DIRECTORY", "").split(":")[0]
    rules = conf.get("rules") or (os.path.join(cfg_dir, "rules") if cfg_dir else "/etc/warnd/rules")
    state = conf.get("state_directory") or os.environ.get("STATE_DIRECTORY", "").split(":")[0] or "/var/lib/warnd"
    alerts = conf.get("alerts_directory") or os.path.join(state, "alerts")
    return rules, state, alerts


def load_rules(rules_dir):
    """(rule count, errors as file:line:column: error: …)."""
    errors, count = [], 0
    names = sorted(n for n in os.listdir(rules_dir) if n.endswith(".yaml")) if os.path.isdir(rules_dir) else []
    if not names:
        errors.append(f"{rules_dir}: error: no rule files")
    for n in names:
        path = os.path.join(rules_dir, n)
        for i, line in enumerate(open(path, encoding="utf-8"), 1):
            if line.lstrip().startswith("invalid:"):
                errors.append(f"{path}:{i}:{line.index('invalid') + 1}: error: {line.split(':', 1)[1].strip()}")
            elif line.lstrip().startswith("- id:"):
                count += 1
    return count, errors


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Daemon:
    def __init__(self, conf_path):
        self.rules_dir, self.state, self.alerts = config(conf_path)
        self.generation = 0
        self.rules = 0
        self.lock = threading.Lock()

    def write_reload(self, ok, errors):
        write_atomic(os.path.join(self.state, "reload.json"),
                     json.dumps({"generation": self.generation, "ok": ok, "errors": errors, "rules": self.rules}) + "\n")

    def write_alerts(self):
        os.makedirs(self.alerts, exist_ok=True)
        write_atomic(os.path.join(self.alerts, "active.json"), json.dumps(
            {"evaluated_at": time.strftime("%Y-%m-%d"), "at": None,
             "counts": {"critical": 0, "warning": 0, "info": 0, "pending": 0}, "alerts": []}, ensure_ascii=False) + "\n")
        write_atomic(os.path.join(self.alerts, "report.md"), "# 预警报告 (stand-in)\n\n无预警。\n")
        with open(os.path.join(self.alerts, "events.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": "evaluated", "generation": self.generation}) + "\n")
        journal("评估完成：0 条预警", message_id="evaluationFinished", critical=0, warning=0)

    def ingest(self):
        inbox = os.path.join(self.state, "inbox")
        if not os.path.isdir(inbox):
            return
        for n in sorted(os.listdir(inbox)):
            p = os.path.join(inbox, n)
            with open(p, "rb") as f:     # a staff member's file: readable through the group warnd-submit
                size = len(f.read())
            os.rename(p, os.path.join(self.state, "archive", n))
            journal(f"accepted {n} ({size} bytes)", message_id="fileAccepted", file=n, bytes=size)

    def start(self):
        count, errors = load_rules(self.rules_dir)
        if errors:
            for e in errors:
                print(e, file=sys.stderr, flush=True)
            return 1
        self.rules = count
        for d in ("archive", "rejected", "tmp"):
            os.makedirs(os.path.join(self.state, d), exist_ok=True)
        journal(f"loaded {count} rules from {self.rules_dir}", message_id="rulesLoaded", rules=count, generation=0)
        self.ingest()
        self.write_alerts()
        self.write_reload(True, [])
        sandbox = {"uid": os.getuid(), "gid": os.getgid(), "groups": " ".join(map(str, os.getgroups())),
                   "umask": "%04o" % os.umask(os.umask(0o027))}
        journal("ready", message_id="started", **sandbox)
        if not notify(f"READY=1\nSTATUS=watching; {count} rules, generation 0"):
            print("not under systemd (no NOTIFY_SOCKET)", file=sys.stderr)
        return 0

    def reload(self):
        with self.lock:
            notify(f"RELOADING=1\nMONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}\nSTATUS=reloading rules")
            count, errors = load_rules(self.rules_dir)
            self.generation += 1
            if errors:
                for e in errors:
                    journal(e, priority=3, message_id="reloadFailed", generation=self.generation)
                self.write_reload(False, errors)
                notify(f"READY=1\nSTATUS=reload refused ({len(errors)} errors); keeping the {self.rules} rules loaded before")
            else:
                self.rules = count
                journal(f"loaded {count} rules", message_id="rulesLoaded", rules=count, generation=self.generation)
                self.write_reload(True, [])
                self.write_alerts()
                notify(f"READY=1\nSTATUS=watching; {count} rules, generation {self.generation}")


def run(conf_path):
    d = Daemon(conf_path)
    hup = threading.Event()
    term = threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: hup.set())
    signal.signal(signal.SIGTERM, lambda *_: term.set())
    rc = d.start()
    if rc:
        return rc
    usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
    if usec and os.environ.get("WATCHDOG_PID", str(os.getpid())) == str(os.getpid()):
        def ping():
            while not term.wait(usec / 2e6):
                notify("WATCHDOG=1")
        threading.Thread(target=ping, daemon=True).start()
    while not term.is_set():
        if hup.wait(0.2):
            hup.clear()
            d.reload()
    notify("STOPPING=1\nSTATUS=stopping")
    d.write_alerts()
    journal("stopped")
    return 0


def reload(pid, conf_path):
    _, state, _ = config(conf_path)
    path = os.path.join(state, "reload.json")
    before = json.load(open(path))["generation"]
    os.kill(pid, signal.SIGHUP)              # kill(), not /proc: ProtectProc=invisible may hide the daemon's /proc
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            now = json.load(open(path))
        except (OSError, ValueError):
            now = {"generation": before}
        if now["generation"] > before:
            for e in now["errors"]:
                print(e, file=sys.stderr)
            if not now["ok"]:
                print(f"reload refused: {len(now['errors'])} errors; warnd keeps its previous rules", file=sys.stderr)
                return 1
            print(f"reloaded: {now['rules']} rules, generation {now['generation']}")
            return 0
        time.sleep(0.05)
    print("reload: warnd did not answer within 60 s", file=sys.stderr)
    return 1


def main(argv):
    conf = None
    if "--config" in argv:
        conf = argv[argv.index("--config") + 1]
    conf = conf or "/etc/warnd/warnd.yaml"
    if argv[:1] == ["run"]:
        return run(conf)
    if argv[:1] == ["reload"] and "--pid" in argv:
        return reload(int(argv[argv.index("--pid") + 1]), conf)
    print("usage: warnd-standin.py run [--config FILE] | reload --pid PID [--config FILE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

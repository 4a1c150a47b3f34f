"""redis-server's cost of the message path's Lua scripts, the schema before issue 20's per-direction
hash ("old": next/acked/bytes keys) against the hash ("new"), without building the relay: runs
the scripts as the relay does (144 sessions, pipelined across sessions on one connection, one
append per message, a pull and an ack per burst) on a redis-server of its own (loopback, no
persistence, killed at the end) and prints redis-server's CPU per message (/proc) and INFO
commandstats per message. Only the old and new variants' key layouts are known to it.

  git show <old>:src/store/redis/message_path.rs > old_mp.rs   (and scripts.rs > old_sc.rs)
  python3 benches/redis_scripts.py old_mp.rs src/store/redis/message_path.rs \
      old_sc.rs src/store/redis/scripts.rs

Environment: LL_VARIANTS=new runs the new variant only; LL_NO_PULL=1 leaves out the pull
(the relay's local hand-off: the receiver is on the appending node); LL_LEN_FIRST=1 writes
`len` first in the stored record (the ack script finds it without scanning the body).

Figures: docs/benchmarks.md, "Issue 20: the Redis message path". Must never be pointed at a
Redis that holds anything: it starts its own."""
import os, re, socket, subprocess, sys, time, tempfile

def lua(src, name):
    m = re.search(r'pub\(super\) const %s: &str = r#"(.*?)"#;' % name, src, re.S)
    return m.group(1)

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Con:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
    def _line(self):
        while b"\r\n" not in self.buf: self.buf += self.s.recv(1 << 20)
        l, self.buf = self.buf.split(b"\r\n", 1); return l
    def _read(self):
        l = self._line(); t = l[:1]
        if t in (b"+", b":"): return l[1:]
        if t == b"-": raise RuntimeError(l)
        if t == b"$":
            n = int(l[1:])
            if n < 0: return None
            while len(self.buf) < n + 2: self.buf += self.s.recv(1 << 20)
            d, self.buf = self.buf[:n], self.buf[n+2:]; return d
        if t == b"*":
            n = int(l[1:]); return [self._read() for _ in range(max(n, 0))]
        raise RuntimeError(l)
    def pipe(self, cmds):
        self.s.sendall(b"".join(cmds)); return [self._read() for _ in cmds]

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def run(variant, src, sessions, rounds, burst, cross):
    d = tempfile.mkdtemp(); port = 20000 + os.getpid() % 20000
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL)
    time.sleep(0.5); c = Con(port)
    relay, ack, pending = (lua(src[0], "RELAY"), lua(src[0], "ACK_NOTIFY"), lua(src[1], "PENDING"))
    sha = {k: c.pipe([resp("SCRIPT", "LOAD", v)])[0].decode() for k, v in (("r", relay), ("a", ack), ("p", pending))}
    ttl = 86700; body = "A" * 1398
    def K(s, n): return "ll:{%032x}:%s" % (s, n)
    setup = []
    for s in range(sessions):
        setup += [resp("SET", K(s, "owner"), "801", "EX", ttl), resp("SET", K(s, "holder:node"), "nodeB", "EX", ttl), resp("SET", K(s, "node"), "nodeA", "EX", ttl)]
        if variant == "old":
            setup += [resp("SET", K(s, n), v, "EX", ttl) for n, v in (("next:c", 1), ("acked:c", 0), ("bytes:c", 0))]
        else:
            setup += [resp("HSET", K(s, "way:c"), "next", 1, "acked", 0, "bytes", 0), resp("EXPIRE", K(s, "way:c"), ttl)]
    c.pipe(setup); c.pipe([resp("CONFIG", "RESETSTAT")])
    node = "nodeA" if cross else "nodeB"
    t0 = cpu(p.pid); seq = 0; msgs = 0
    for r in range(rounds):
        seq += 1; cmds = []
        for s in range(sessions):
            frame = ('{"len":1048,"seq":%d,"kind":"data","body":"%s"}' if LEN_FIRST else '{"seq":%d,"kind":"data","body":"%s","len":1048}') % (seq, body)
            keys = [K(s, "owner"), K(s, "next:c"), K(s, "buffer:c"), K(s, "bytes:c"), K(s, "holder:node")] if variant == "old" else [K(s, "owner"), K(s, "way:c"), K(s, "buffer:c"), K(s, "holder:node")]
            cmds.append(resp("EVALSHA", sha["r"], len(keys), *keys, seq, frame, 1048, 4096, 4 << 20, "801", node, "%s c %032x " % (node, s)))
        out = c.pipe(cmds); msgs += sessions
        assert out[0][0] == b"ok", out[0]
        if seq % burst == 0:
            cmds = []
            for s in range(sessions):
                keys = [K(s, "buffer:c")] if variant == "old" else [K(s, "way:c"), K(s, "buffer:c")]
                cmds.append(resp("EVALSHA", sha["p"], len(keys), *keys, seq - burst))
            if not NO_PULL:
                out = c.pipe(cmds); assert len(out[0]) == burst, len(out[0])
            cmds = []
            for s in range(sessions):
                keys = [K(s, "acked:c"), K(s, "next:c"), K(s, "buffer:c"), K(s, "bytes:c"), K(s, "owner"), K(s, "node")] if variant == "old" else [K(s, "way:c"), K(s, "buffer:c"), K(s, "owner"), K(s, "node")]
                cmds.append(resp("EVALSHA", sha["a"], len(keys), *keys, seq, "", "nodeB" if cross else "nodeA", "x dv %032x " % s))
            out = c.pipe(cmds); assert int(out[0][0]) == seq, out[0]
    t1 = cpu(p.pid)
    left = c.pipe([resp("LLEN", K(0, "buffer:c"))])[0]
    stats = c.pipe([resp("INFO", "commandstats")])[0].decode()
    p.terminate(); p.wait()
    rows = []
    for line in stats.splitlines():
        m = re.match(r"cmdstat_(\w+):calls=(\d+),usec=(\d+)", line)
        if m: rows.append((m.group(1), int(m.group(2)) / msgs, int(m.group(3)) / msgs))
    rows.sort(key=lambda r: -r[2])
    return (t1 - t0) * 1e6 / msgs, rows, int(left)

NO_PULL = os.environ.get("LL_NO_PULL") == "1"
LEN_FIRST = os.environ.get("LL_LEN_FIRST") == "1"
VARIANTS = os.environ.get("LL_VARIANTS", "old,new").split(",")
old_src = (open(sys.argv[1]).read(), open(sys.argv[3]).read())
new_src = (open(sys.argv[2]).read(), open(sys.argv[4]).read())
for burst in (8, 1):
    for cross in (False, True):
        for variant, src in (v for v in (("old", old_src), ("new", new_src)) if v[0] in VARIANTS):
            best = None
            for _ in range(3):
                r = run(variant, src, 144, 400 if burst == 8 else 200, burst, cross)
                if best is None or r[0] < best[0]: best = r
            us, rows, left = best
            print("burst %d, %s, %s: redis-server CPU %.1f µs per message (left in buffer %d)" % (burst, "two nodes" if cross else "one node", variant, us, left))
            print("   " + ", ".join("%s %.2f calls %.1f µs" % r for r in rows[:9]))

"""redis-server's CPU per relayed message on the message path, variant against variant, without
building the relay (issue 20): runs the appends, acknowledgements and pulls as the relay sends
them (144 chats, pipelined across chats on one connection) on a redis-server of its own
(loopback, no persistence, killed at the end), and prints redis-server's CPU per message
(/proc) and INFO commandstats per message, best of three.

Traffic: chats alternate bursts of B frames each way (B = 8: saturation; B = 1: human rates,
every message answered); after each burst the receiver acknowledges it (on two nodes it first
pulls: it was woken on another node; on one node the relay's local hand-off needs no pull).

Variants (LL_VARIANTS, comma-separated; default all):
  main     the scripts of `main` (git show main:src/store/redis/...)
  src      the scripts of this worktree (the same as main until they differ)
  mget     the append and acknowledgement of commit c54a1ec (issue 20, fourth session):
           owner and peer's node in one MGET, no LLEN, the TTL when RPUSH answers 1
  floor    the same writes as plain pipelined commands: no owner check, no duplicate/gap
           answer, no budget, wake sent where the client believes the peer is; a floor, not
           a design
  lean     one append script reading next, bytes and head in one HMGET (no LLEN: the count
           is next - head), today's keys
  hash     lean, with the owner and the peer's node also fields of the direction's hash (one
           HMGET reads all the append needs; a schema change for claim, hand-over, hold,
           resume, requeue and the visitor's node)
  stream   lean with a Stream per direction: XADD <seq>-<len> (Redis refuses an id not above
           the last, so a duplicate; the gap is still the script's check), XTRIM MINID as the
           acknowledgement; the key outlives its last entry, so no TTL dance per new buffer
  entry    scripts that answer at once and touch nothing, with the same keys and arguments:
           what a script call costs redis-server before its first command (no pull)
  small    entry with a one-byte frame: what the 1.4 KB argument adds to a call
  carry    lean, and the receiver's acknowledgement carried by its own next append (one
           script call, one wake carrying both)
LL_PIPE=n writes n commands per write (default: all the chats' commands in one write).

  python3 benches/redis_scripts.py

Figures: docs/benchmarks.md, "Issue 20". Must never be pointed at a Redis that holds
anything: it starts its own."""
import os, re, shutil, socket, subprocess, sys, time, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def lua(src, name):
    return re.search(r'pub\(super\) const %s: &str = r#"(.*?)"#;' % name, src, re.S).group(1)

def source(rev, path):
    if rev is None: return open(os.path.join(ROOT, path)).read()
    return subprocess.run(["git", "-C", ROOT, "show", "%s:%s" % (rev, path)], capture_output=True, text=True, check=True).stdout

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Con:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""; self.at = 0
    def _need(self, n):
        while len(self.buf) - self.at < n:
            self.buf = self.buf[self.at:] + self.s.recv(1 << 20); self.at = 0
    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.at)
            if i >= 0: l = self.buf[self.at:i]; self.at = i + 2; return l
            self.buf = self.buf[self.at:] + self.s.recv(1 << 20); self.at = 0
    def _read(self):
        l = self._line(); t = l[:1]
        if t in (b"+", b":"): return l[1:]
        if t == b"-": raise RuntimeError(l)
        if t == b"$":
            n = int(l[1:])
            if n < 0: return None
            self._need(n + 2); d = self.buf[self.at:self.at + n]; self.at += n + 2; return d
        if t == b"*":
            n = int(l[1:]); return [self._read() for _ in range(max(n, 0))]
        raise RuntimeError(l)
    def pipe(self, cmds):
        step = PIPE or len(cmds) or 1; out = []
        for i in range(0, len(cmds), step):
            part = cmds[i:i + step]; self.s.sendall(b"".join(part)); out += [self._read() for _ in part]
        return out

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

# --- the variants' Lua (the candidates; `main` and `src` come from the Rust sources) -------

# Owner, then the direction's numbers in one HMGET; the count is next - head (the buffer holds
# head .. next-1), so no LLEN; the TTL is read only when the buffer is new.
LEAN_APPEND_BODY = r"""
if not owner then return {'gone', '', ''} end
if ARGV[6] ~= '' and owner ~= ARGV[6] then return {'other', owner, ''} end
if not s[1] then return {'gone', '', ''} end
local next = tonumber(s[1])
local seq = tonumber(ARGV[1])
if seq > next then return {'gap:' .. next, owner, ''} end
local outcome = 'dup'
if seq == next then
  local head = tonumber(s[3] or '0')
  local bytes = tonumber(s[2] or '0') + tonumber(ARGV[3])
  local count = 0
  if head > 0 then count = next - head end
  if count >= tonumber(ARGV[4]) or bytes > tonumber(ARGV[5]) then return {'full', owner, ''} end
  PUSH()
  if count == 0 then
    redis.call('HSET', WAY, 'next', seq + 1, 'bytes', bytes, 'head', seq)
    NEW()
  else
    redis.call('HSET', WAY, 'next', seq + 1, 'bytes', bytes)
  end
  outcome = 'ok'
end
if owner == 'q' or ARGV[7] == '' then return {outcome, owner, ''} end
"""
LEAN_NEW_LIST = "local ttl = redis.call('TTL', WAY)\n    if ttl > 0 then redis.call('EXPIRE', KEYS[3], ttl) end"

def lean_append(read, push, new, wake):
    return (read + LEAN_APPEND_BODY.replace("PUSH()", push).replace("NEW()", new) + wake)

LEAN_WAKE = r"""
local peer = redis.call('GET', KEYS[4])
if not peer or peer == ARGV[7] then return {outcome, owner, ''} end
redis.call('PUBLISH', 'll:wake:' .. peer, ARGV[8] .. owner)
return {outcome, owner, peer}
"""
LEAN = lean_append("local owner = redis.call('GET', KEYS[1])\nlocal s = redis.call('HMGET', KEYS[2], 'next', 'bytes', 'head')\nlocal WAY = KEYS[2]\n",
                   "redis.call('RPUSH', KEYS[3], ARGV[2])", LEAN_NEW_LIST, LEAN_WAKE)
# KEYS: the direction's hash (with owner and peer), buffer.
HASH = lean_append("local s = redis.call('HMGET', KEYS[1], 'next', 'bytes', 'head', 'owner', 'peer')\nlocal owner = s[4]\nlocal WAY = KEYS[1]\n",
                   "redis.call('RPUSH', KEYS[2], ARGV[2])",
                   "local ttl = redis.call('TTL', WAY)\n    if ttl > 0 then redis.call('EXPIRE', KEYS[2], ttl) end",
                   "local peer = s[5]\nif not peer or peer == ARGV[7] then return {outcome, owner, ''} end\nredis.call('PUBLISH', 'll:wake:' .. peer, ARGV[8] .. owner)\nreturn {outcome, owner, peer}\n")
# ARGV[9]: the entry id `<seq>-<len>` (built by the relay). The stream outlives its entries, so
# its TTL is set only when it is created (no head yet: nothing was ever appended).
STREAM = lean_append("local owner = redis.call('GET', KEYS[1])\nlocal s = redis.call('HMGET', KEYS[2], 'next', 'bytes', 'head')\nlocal WAY = KEYS[2]\n",
                     "redis.call('XADD', KEYS[3], ARGV[9], 'f', ARGV[2])",
                     "if not s[3] then " + LEAN_NEW_LIST + " end", LEAN_WAKE)
STREAM_ACK = r"""
local owner = redis.call('GET', KEYS[3])
if not owner then return {-1, '', ''} end
if ARGV[2] ~= '' and owner ~= ARGV[2] then return {-1, owner, ''} end
local state = redis.call('HMGET', KEYS[1], 'next', 'acked', 'bytes', 'head')
if not state[1] then return {-1, '', ''} end
local acked = tonumber(state[2] or '0')
local seq = math.min(tonumber(ARGV[1]), tonumber(state[1]) - 1)
if seq > acked then
  acked = seq
  local bytes = tonumber(state[3] or '0')
  for _, e in ipairs(redis.call('XRANGE', KEYS[2], '-', acked)) do
    bytes = bytes - tonumber(string.match(e[1], '-(%d+)$'))
  end
  redis.call('XTRIM', KEYS[2], 'MINID', acked + 1)
  redis.call('HSET', KEYS[1], 'acked', acked, 'bytes', math.max(bytes, 0), 'head', acked + 1)
end
if owner == 'q' then return {acked, owner, ''} end
local peer = redis.call('GET', KEYS[4])
if not peer or peer == ARGV[3] or ARGV[3] == '' then return {acked, owner, ''} end
redis.call('PUBLISH', 'll:wake:' .. peer, ARGV[4] .. owner .. ' ' .. acked)
return {acked, owner, peer}
"""
STREAM_PENDING = "return redis.call('XRANGE', KEYS[2], tonumber(ARGV[1]) + 1, '+')\n"
# The lean append, and first the acknowledgement of the other direction up to ARGV[9] (0:
# none) in the same call: KEYS[5], KEYS[6] are that direction's hash and buffer. Its
# `delivered` mark rides on the frame's wake (the acked frames' sender is this frame's peer).
CARRY = (r"""
local owner = redis.call('GET', KEYS[1])
local carried = ''
if owner and tonumber(ARGV[9]) > 0 and (ARGV[6] == '' or owner == ARGV[6]) then
  local a = redis.call('HMGET', KEYS[5], 'next', 'acked', 'bytes', 'head')
  local acked = tonumber(a[2] or '0')
  local upto = math.min(tonumber(ARGV[9]), tonumber(a[1] or '1') - 1)
  if upto > acked then
    local bytes = tonumber(a[3] or '0')
    local head = tonumber(a[4] or '0')
    if head > 0 and head <= upto then
      local popped = redis.call('LPOP', KEYS[6], upto - head + 1)
      if popped then
        for _, frame in ipairs(popped) do
          bytes = bytes - tonumber(string.match(frame, '"len":(%d+)') or '0')
        end
      end
      head = upto + 1
    end
    redis.call('HSET', KEYS[5], 'acked', upto, 'bytes', math.max(bytes, 0), 'head', head)
    carried = ' ' .. upto
  end
end
local s = redis.call('HMGET', KEYS[2], 'next', 'bytes', 'head')
local WAY = KEYS[2]
""" + LEAN_APPEND_BODY.replace("PUSH()", "redis.call('RPUSH', KEYS[3], ARGV[2])").replace("NEW()", LEAN_NEW_LIST)
         + LEAN_WAKE.replace("ARGV[8] .. owner)", "ARGV[8] .. owner .. carried)"))

# --- the run ------------------------------------------------------------------------------

TTL = 86700; BODY = "A" * 1398; LEN = 1048; MAX_FRAMES = 4096; MAX_BYTES = 4 << 20
def K(s, n): return "ll:{%032x}:%s" % (s, n)
WAYS = ("c", "v")
# The receiver's node key of each direction, and who must hold the session to write it.
PEER_KEY = {"c": "holder:node", "v": "node"}
SENDER_OWNER = {"c": "", "v": "801"}

def record(seq):
    return '{"len":%d,"seq":%d,"kind":"data","body":"%s"}' % (LEN, seq, BODY)

class Scripted:
    """`main`, `src`, `lean`, `hash`, `stream`, `carry`: every step a script call."""
    def __init__(self, name, append, ack, pending, layout="keys", carry=False, small=False):
        self.name, self.layout, self.carry, self.small = name, layout, carry, small
        self.src = {"r": append, "a": ack, "p": pending}
    def load(self, c):
        self.sha = {k: c.pipe([resp("SCRIPT", "LOAD", v)])[0].decode() for k, v in self.src.items()}
    def setup(self, s, nodes):
        cmds = [resp("SET", K(s, "owner"), "801", "EX", TTL), resp("SET", K(s, "node"), nodes[0], "EX", TTL),
                resp("SET", K(s, "holder:node"), nodes[1], "EX", TTL)]
        for w in WAYS:
            extra = ["owner", "801", "peer", nodes[1] if w == "c" else nodes[0]] if self.layout == "hash" else []
            cmds += [resp("HSET", K(s, "way:" + w), "next", 1, "acked", 0, "bytes", 0, *extra), resp("EXPIRE", K(s, "way:" + w), TTL)]
        return cmds
    def append(self, s, w, seq, here, carry_upto):
        prefix = "%s %s %032x " % (here, w, s)
        args = [seq, "x" if self.small else record(seq), LEN, MAX_FRAMES, MAX_BYTES, SENDER_OWNER[w], here, prefix]
        if self.layout == "hash":
            keys = [K(s, "way:" + w), K(s, "buffer:" + w)]
        else:
            keys = [K(s, "owner"), K(s, "way:" + w), K(s, "buffer:" + w), K(s, PEER_KEY[w])]
        if self.layout == "stream": args.append("%d-%d" % (seq, LEN))
        if self.carry:
            o = WAYS[1 - WAYS.index(w)]
            keys += [K(s, "way:" + o), K(s, "buffer:" + o)]; args.append(carry_upto)
        return [resp("EVALSHA", self.sha["r"], len(keys), *keys, *args)]
    def ack(self, s, w, seq, here):
        o = WAYS[1 - WAYS.index(w)]  # the sender's node is the peer of the other direction
        keys = [K(s, "way:" + w), K(s, "buffer:" + w), K(s, "owner"), K(s, PEER_KEY[o])]
        return [resp("EVALSHA", self.sha["a"], len(keys), *keys, seq, SENDER_OWNER[o], here, "%s d%s %032x " % (here, w, s))]
    def pull(self, s, w, after):
        return resp("EVALSHA", self.sha["p"], 2, K(s, "way:" + w), K(s, "buffer:" + w), after)

class Floor:
    """The same writes, plain commands, the client keeping the numbers."""
    name, carry = "floor", False
    def load(self, c): self.state = {}
    def setup(self, s, nodes):
        self.nodes = nodes
        for w in WAYS: self.state[s, w] = [0, 0]  # head, bytes
        return Scripted.setup(self, s, nodes)
    layout = "keys"
    def append(self, s, w, seq, here, _):
        st = self.state[s, w]; st[1] += LEN
        cmds = [resp("RPUSH", K(s, "buffer:" + w), record(seq))]
        if st[0] == 0:
            st[0] = seq; cmds += [resp("HSET", K(s, "way:" + w), "next", seq + 1, "bytes", st[1], "head", seq), resp("EXPIRE", K(s, "buffer:" + w), TTL)]
        else:
            cmds.append(resp("HSET", K(s, "way:" + w), "next", seq + 1, "bytes", st[1]))
        peer = self.nodes[1] if w == "c" else self.nodes[0]
        if peer != here: cmds.append(resp("PUBLISH", "ll:wake:" + peer, "%s %s %032x 801" % (here, w, s)))
        return cmds
    def ack(self, s, w, seq, here):
        st = self.state[s, w]; n = seq - st[0] + 1; st[0] = 0; st[1] -= n * LEN
        cmds = [resp("LPOP", K(s, "buffer:" + w), n), resp("HSET", K(s, "way:" + w), "acked", seq, "bytes", st[1], "head", seq + 1)]
        sender = self.nodes[0] if w == "c" else self.nodes[1]
        if sender != here: cmds.append(resp("PUBLISH", "ll:wake:" + sender, "%s d%s %032x 801 %d" % (here, w, s, seq)))
        return cmds
    def pull(self, s, w, after):
        return resp("LRANGE", K(s, "buffer:" + w), 0, -1)

def run(v, sessions, rounds, burst, cross):
    """One run on a redis-server of its own, stopped however the run ends."""
    d = tempfile.mkdtemp(); port = 20000 + os.getpid() % 20000
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5); return measure(p, Con(port), v, sessions, rounds, burst, cross)
    finally:
        p.terminate(); p.wait(); shutil.rmtree(d, ignore_errors=True)

def measure(p, c, v, sessions, rounds, burst, cross):
    v.load(c)
    nodes = ("nodeA", "nodeB") if cross else ("nodeA", "nodeA")
    setup = []
    for s in range(sessions): setup += v.setup(s, nodes)
    c.pipe(setup); c.pipe([resp("CONFIG", "RESETSTAT")])
    t0 = cpu(p.pid); seq = {"c": 0, "v": 0}; msgs = 0; owed = {"c": 0, "v": 0}
    for r in range(rounds):
        w = WAYS[r % 2]; o = WAYS[1 - r % 2]; here = nodes[0] if w == "c" else nodes[1]
        for k in range(burst):
            seq[w] += 1; carry = owed[o] if k == 0 else 0
            out = c.pipe([x for s in range(sessions) for x in v.append(s, w, seq[w], here, carry)])
            if not isinstance(v, Floor): assert out[0][0] == b"ok", out[0]
            msgs += sessions
            if carry: owed[o] = 0
        there = nodes[1] if w == "c" else nodes[0]
        if cross and v.name not in ("entry", "small"):
            got = c.pipe([v.pull(s, w, seq[w] - burst) for s in range(sessions)])
            assert len(got[0]) == burst, (v.name, len(got[0]))
        if v.carry:
            owed[w] = seq[w]
        else:
            out = c.pipe([x for s in range(sessions) for x in v.ack(s, w, seq[w], there)])
            if not isinstance(v, Floor): assert int(out[0][0]) == seq[w], out[0]
    t1 = cpu(p.pid)
    stats = c.pipe([resp("INFO", "commandstats")])[0].decode()
    rows = []
    for line in stats.splitlines():
        m = re.match(r"cmdstat_(\w+):calls=(\d+),usec=(\d+)", line)
        if m: rows.append((m.group(1), int(m.group(2)) / msgs))
    rows.sort(key=lambda r: -r[1])
    return (t1 - t0) * 1e6 / msgs, rows

PIPE = int(os.environ.get("LL_PIPE", "0"))
MP, SC = "src/store/redis/message_path.rs", "src/store/redis/scripts.rs"
main_mp, main_sc = source("main", MP), source("main", SC)
src_mp, src_sc = source(None, MP), source(None, SC)
ACK, PENDING = lua(main_mp, "ACK_NOTIFY"), lua(main_sc, "PENDING")
ALL = {
    "main": lambda: Scripted("main", lua(main_mp, "RELAY"), ACK, PENDING),
    "src": lambda: Scripted("src", lua(src_mp, "RELAY"), lua(src_mp, "ACK_NOTIFY"), lua(src_sc, "PENDING")),
    "mget": lambda: Scripted("mget", lua(source("c54a1ec", MP), "RELAY"), lua(source("c54a1ec", MP), "ACK_NOTIFY"), PENDING),
    "floor": Floor,
    "lean": lambda: Scripted("lean", LEAN, ACK, PENDING),
    "hash": lambda: Scripted("hash", HASH, ACK, PENDING, layout="hash"),
    "stream": lambda: Scripted("stream", STREAM, STREAM_ACK, STREAM_PENDING, layout="stream"),
    "entry": lambda: Scripted("entry", "return {'ok', '801', ''}", "return {tonumber(ARGV[1]), '801', ''}", PENDING),
    "small": lambda: Scripted("small", "return {'ok', '801', ''}", "return {tonumber(ARGV[1]), '801', ''}", PENDING, small=True),
    "carry": lambda: Scripted("carry", CARRY, ACK, PENDING, carry=True),
}
VARIANTS = os.environ.get("LL_VARIANTS", ",".join(ALL)).split(",")
BURSTS = [int(b) for b in os.environ.get("LL_BURSTS", "8,1").split(",")]
for burst in BURSTS:
    for cross in (False, True):
        for name in VARIANTS:
            best = None
            for _ in range(3):
                r = run(ALL[name](), 144, 200 if burst == 8 else 400, burst, cross)
                if best is None or r[0] < best[0]: best = r
            us, rows = best
            print("burst %d, %s, %-6s redis-server CPU %5.1f µs per message; calls per message: %s" % (
                burst, "two nodes" if cross else "one node ", name, us, ", ".join("%s %.2f" % r for r in rows[:8])), flush=True)

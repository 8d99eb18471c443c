#!/usr/bin/env python3
"""Prove that no IPsec key byte leaves the kernel through ipsec-agentx.

  keycheck.py IP_XFRM_STATE_FILE [--pid PID] FILE...

Reads the keys from `ip xfrm state` output (which prints them), then looks for each key,
and for every 8-byte window of it, in the given files (as raw bytes and as hex text in the
forms snmpwalk and loggers print) and, with --pid, in every readable mapping of that
process's memory (the daemon must scrub receive buffers after parsing). Exit 1 on any hit.
"""
import re
import sys

WINDOW = 8


def keys_from_ip(path):
    keys = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"^\s*(enc|auth|auth-trunc|aead)\s+\S+\s+0x([0-9a-fA-F]+)", line)
            if m and len(m.group(2)) >= 2 * WINDOW:
                keys.add(bytes.fromhex(m.group(2)))
    return keys


def needles(key):
    """Byte strings whose presence would mean a leak of this key."""
    out = set()
    for i in range(0, len(key) - WINDOW + 1):
        w = key[i:i + WINDOW]
        out.add(w)
        out.add(w.hex().encode())
        out.add(w.hex().upper().encode())
        out.add(" ".join(f"{b:02X}" for b in w).encode())
        out.add(" ".join(f"{b:02x}" for b in w).encode())
        out.add(":".join(f"{b:02x}" for b in w).encode())
    return out


def scan(data, all_needles):
    return [n for n in all_needles if n in data]


def memory(pid):
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if "r" not in fields[1] or name in ("[vvar]", "[vsyscall]"):
                continue
            try:
                mem.seek(start)
                yield f"{pid}:{fields[0]} {name}", mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    keys = keys_from_ip(argv[1])
    if not keys:
        print("keycheck: no keys found in", argv[1], "- nothing to prove", file=sys.stderr)
        return 1
    pid, files = None, []
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--pid":
            pid = args.pop(0)
        else:
            files.append(a)
    all_needles, raw_windows = set(), set()
    for k in keys:
        all_needles |= needles(k)
        raw_windows |= {k[i:i + WINDOW] for i in range(0, len(k) - WINDOW + 1)}
    hits = 0
    places = 0
    for path in files:
        with open(path, "rb") as f:
            found = scan(f.read(), all_needles)
        places += 1
        if found:
            hits += 1
            print(f"keycheck: key material in {path}: {found[0]!r}")
    regions = 0
    if pid:
        for where, data in memory(pid):
            regions += 1
            # Memory holds keys as bytes; hex forms would only come from printing them.
            if scan(data, raw_windows):
                hits += 1
                print(f"keycheck: key material in memory {where}")
    print(f"keycheck: {len(keys)} keys, {places} files, {regions} memory regions, {hits} hits")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

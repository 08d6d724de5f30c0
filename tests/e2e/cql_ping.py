#!/usr/bin/env python3
"""cql_ping.py HOST [PORT] [TIMEOUT_S]: exit 0 when HOST:PORT answers a CQL
OPTIONS request (protocol v4) with SUPPORTED, else 1 (the reason on stderr).

The end-to-end tests and the benchmark use it to tell "CQL answering" from the
host, independently of cass-entry's own --probe (the code under test).

Frame (native protocol v4): header = version 0x04, flags 0, stream 0 (2
bytes), opcode 0x05 OPTIONS, body length 0 (4 bytes).  The reply's header has
version 0x84 (response bit) and opcode 0x06 SUPPORTED; its body is a string
multimap that must name CQL_VERSION.
"""
import socket
import struct
import sys


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def main():
    if len(sys.argv) < 2:
        print("usage: cql_ping.py HOST [PORT] [TIMEOUT_S]", file=sys.stderr)
        return 2
    host = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9042
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(bytes([0x04, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0]))
            head = recv_exact(s, 9)
            version, _flags, _stream, opcode, length = struct.unpack(">BBhBI", head)
            body = recv_exact(s, length) if length < (1 << 20) else b""
    except (OSError, ConnectionError) as e:
        print("cql_ping %s:%d: %s" % (host, port, e), file=sys.stderr)
        return 1
    if version != 0x84 or opcode != 0x06 or b"CQL_VERSION" not in body:
        print("cql_ping %s:%d: not a SUPPORTED reply (version 0x%02x opcode 0x%02x)"
              % (host, port, version, opcode), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

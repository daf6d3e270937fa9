#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Slow clients for the edge-sni stress test: open N connections to
# HOST:PORT and send one byte of a ClientHello per interval on each, until
# killed.  Prints "open N" once all are connected.
import socket, sys, time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]) + bytes(600)
socks = []
for i in range(n):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.send(hello[:1])
    except OSError:
        pass
    socks.append(s)
print("open", len(socks), flush=True)
pos = 1
while True:
    time.sleep(interval)
    for s in socks:
        try:
            s.send(hello[pos:pos + 1])
        except OSError:
            pass
    pos += 1

#!/usr/bin/env python3
"""tests/tools/vpcd_card.py PORT — a minimal virtual card for the vsmartcard vpcd
driver of pcscd: while this process runs, the card is in the reader.

vpcd's protocol (vsmartcard's vpcd README): vpcd listens on 127.0.0.1:PORT; each
message is a 2-byte big-endian length and that many bytes. One byte 0x00/0x01/0x02
is power off / power on / reset (no answer), 0x04 asks for the ATR; anything else is
a command APDU, answered with a response APDU. The debian package's own card
emulator (vicc, vsmartcard-vpicc) does not start on Debian 12, so the tests use this.
"""
import socket
import struct
import sys
import time

ATR = bytes.fromhex("3b80800101")       # T=1, no historical bytes, TCK
NOT_SUPPORTED = bytes.fromhex("6d00")   # INS not supported


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            raise ConnectionError("vpcd closed the connection")
        data += part
    return data


def serve(sock):
    while True:
        (length,) = struct.unpack(">H", recv_exact(sock, 2))
        msg = recv_exact(sock, length)
        if length == 1 and msg[0] in (0, 1, 2):
            continue
        answer = ATR if length == 1 and msg[0] == 4 else NOT_SUPPORTED
        sock.sendall(struct.pack(">H", len(answer)) + answer)


def main():
    port = int(sys.argv[1])
    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=None)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    try:
        serve(sock)
    except (ConnectionError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The recording benchmark's copy floor: N RTSP sessions over TCP (interleaved), every byte the
cameras send appended to one file per camera and made durable once a second, nothing parsed
after PLAY. It is the least any recorder must do to keep a camera's stream: what carekeepd
does beyond it (depacketizing, muxing fMP4, hashing, indexing) is its cost.

    rtsp_copy.py OUTDIR URL...       runs until SIGTERM or SIGINT, then prints bytes per URL

The sockets are drained in rounds every 100 ms (carekeepd's native client also reads in
batches), so the interpreter's own cost per wake-up stays out of the floor. Loopback only.
"""
import os
import re
import selectors
import signal
import socket
import sys
import time
from urllib.parse import urlsplit

ROUND_SECONDS = 0.1
SYNC_SECONDS = 1.0
KEEPALIVE_SECONDS = 20.0


def read_response(sock):
    """One RTSP response (headers and body); raises on a status other than 200."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the camera closed the connection during setup")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the camera closed the connection during setup")
        rest += chunk
    if " 200 " not in status + " ":
        raise ConnectionError(f"camera answered {status!r}")
    return headers, rest[:length].decode("latin-1"), rest[length:]


class Session:
    def __init__(self, url, path):
        self.url = url
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 554), timeout=10)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.cseq = 0
        headers, sdp, _ = self.request("DESCRIBE", url, "Accept: application/sdp\r\n")
        base = headers.get("content-base", url)
        control = None
        in_video = False
        for line in sdp.splitlines():
            if line.startswith("m="):
                in_video = line.startswith("m=video")
            elif in_video and line.startswith("a=control:") and control is None:
                control = line[len("a=control:"):].strip()
        if control is None:
            raise ConnectionError(f"{url}: no video track in the SDP")
        track = control if re.match(r"^[a-z]+://", control) else base.rstrip("/") + "/" + control
        headers, _, _ = self.request("SETUP", track, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n")
        self.session = headers["session"].split(";")[0]
        _, _, early = self.request("PLAY", url, f"Session: {self.session}\r\nRange: npt=0.000-\r\n")
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.bytes = 0
        self.write(early)
        self.sock.setblocking(False)

    def request(self, method, url, extra=""):
        self.cseq += 1
        self.sock.sendall(f"{method} {url} RTSP/1.0\r\nCSeq: {self.cseq}\r\n{extra}\r\n".encode())
        return read_response(self.sock)

    def keepalive(self):
        # The answer arrives among the media bytes and is copied with them, as a floor should.
        self.cseq += 1
        self.sock.sendall(f"GET_PARAMETER {self.url} RTSP/1.0\r\nCSeq: {self.cseq}\r\n"
                          f"Session: {self.session}\r\n\r\n".encode())

    def write(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.bytes += len(data)

    def drain(self):
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self.write(chunk)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    outdir, urls = sys.argv[1], sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    sessions = [Session(url, os.path.join(outdir, f"cam{i + 1}.rtp")) for i, url in enumerate(urls)]
    print("rtsp_copy ready", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    selector = selectors.DefaultSelector()
    for s in sessions:
        selector.register(s.sock, selectors.EVENT_READ, s)
    last_sync = last_keepalive = time.monotonic()
    while not stop:
        time.sleep(ROUND_SECONDS)
        for key, _ in selector.select(timeout=0):
            if not key.data.drain():
                print(f"rtsp_copy: {key.data.url} closed the connection", file=sys.stderr)
                selector.unregister(key.fileobj)
        now = time.monotonic()
        if now - last_sync >= SYNC_SECONDS:
            for s in sessions:
                os.fdatasync(s.fd)
            last_sync = now
        if now - last_keepalive >= KEEPALIVE_SECONDS:
            for s in sessions:
                s.keepalive()
            last_keepalive = now
    for s in sessions:
        print(f"{s.url} {s.bytes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

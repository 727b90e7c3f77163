#!/usr/bin/env python3
"""Drive a program through a pseudo-terminal with scripted keys (stdlib only).

    python3 tests/pty-driver.py -- PROGRAM [ARG...]   < script.json

The script, on stdin:

    {"timeout": 10, "columns": 120, "rows": 40,
     "steps": [["expect", "filter>"], ["send", "backend\\r"], ["sleep", 0.2], ...]}

- expect TEXT: wait until TEXT appears in the output after the previous
  match (the output is compared with ANSI escape sequences and carriage
  returns removed);
- send KEYS: write KEYS to the terminal ("\\u0003" is Ctrl-C, "\\u0004" Ctrl-D);
- sleep SECONDS;
- signal NAME: send the program signal SIGNAME (e.g. "TERM");
- file PATH: wait until PATH exists (the test's own signal, e.g. that its
  server has received a request).

After the last step the driver waits for the program to exit. It prints one
JSON object on stdout: {"ok", "status" (exit code, or null), "signal",
"error" (why it failed, or null), "step" (index of the failing step),
"transcript" (cleaned output), "raw" (output as read)}. Its own exit code is 0
whenever it could run the program; the caller asserts on the report. The whole
run is bounded by "timeout" seconds; on timeout the program is killed.
"""

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r")


def clean(raw: bytes) -> str:
    return ANSI.sub("", raw.decode("utf-8", "replace"))


def main() -> int:
    if "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 2
    argv = sys.argv[sys.argv.index("--") + 1 :]
    script = json.load(sys.stdin)
    deadline = time.monotonic() + float(script.get("timeout", 10))
    rows, cols = int(script.get("rows", 40)), int(script.get("columns", 120))

    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)

    raw = bytearray()
    eof = False

    def pump(wait: float) -> None:
        nonlocal eof
        if eof:
            time.sleep(min(wait, 0.05))
            return
        ready, _, _ = select.select([fd], [], [], max(0.0, wait))
        if not ready:
            return
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the program closed the terminal
            data = b""
        if data:
            raw.extend(data)
        else:
            eof = True

    report = {"ok": True, "status": None, "signal": None, "error": None, "step": None}
    cursor = 0
    for i, step in enumerate(script["steps"]):
        kind, arg = step[0], step[1]
        if kind == "expect":
            while True:
                text = clean(bytes(raw))
                at = text.find(arg, cursor)
                if at >= 0:
                    cursor = at + len(arg)
                    break
                if eof or time.monotonic() > deadline:
                    report.update(ok=False, step=i, error=f"expected {arg!r}: " + ("the program ended" if eof else "timed out"))
                    break
                pump(min(0.1, deadline - time.monotonic()))
        elif kind == "send":
            pump(0)
            try:
                os.write(fd, arg.encode())
            except OSError as e:
                report.update(ok=False, step=i, error=f"send {arg!r}: {e}")
        elif kind == "file":
            while not os.path.exists(arg):
                if time.monotonic() > deadline:
                    report.update(ok=False, step=i, error=f"waited for {arg}: timed out")
                    break
                pump(min(0.02, max(0.0, deadline - time.monotonic())))
        elif kind == "signal":
            os.kill(pid, getattr(signal, "SIG" + arg))
        elif kind == "sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end:
                pump(min(0.05, end - time.monotonic()))
        else:
            report.update(ok=False, step=i, error=f"unknown step {kind!r}")
        if not report["ok"]:
            break

    # Wait for the program to end (reading whatever it still writes).
    status = None
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            if report["ok"]:
                report.update(ok=False, error="the program did not exit in time")
            break
        pump(0.05)
    while not eof:
        pump(0.05)
        if time.monotonic() > deadline + 1:
            break
    os.close(fd)

    if os.WIFEXITED(status):
        report["status"] = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        report["signal"] = os.WTERMSIG(status)
    report["transcript"] = clean(bytes(raw))
    report["raw"] = bytes(raw).decode("utf-8", "replace")
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

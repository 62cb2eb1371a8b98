"""How much of the time a daemon holds the file's write lock, and how long a reader in
another process waits: `pricewatch run` on a one-second schedule (nscale's router list from
a local server, a price drop half-way, a webhook channel, exports and the report), the
file's lock state sampled every 5 ms with fcntl F_GETLK from this process, and
test_daemon's reader process (helpers.READER: the file opened read-only in a loop,
lock_timeout_s 30, and the exports read).

Readers are shut out only while the daemon writes, so the write-locked share is the figure;
`--load N` adds N busy loops (a slower machine, as CI can be). The last line is JSON.

    .venv/bin/python -m bench.daemon_lock [--seconds 30] [--load 0]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers import READER, hf_router_daemon_config
from tests.helpers import fake_provider as fp
from tests.helpers.captures import hf_body

ROOT = Path(__file__).resolve().parents[1]
FLOCK = "hhqqi"  # struct flock on Linux x86_64/arm64: type, whence, start, len, pid


def write_locked(fd: int) -> bool:
    """Whether another process holds a lock that a read lock would conflict with."""
    probe = struct.pack(FLOCK, fcntl.F_RDLCK, 0, 0, 0, 0)
    return struct.unpack(FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, probe))[0] != fcntl.F_UNLCK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--load", type=int, default=0, help="busy loops beside the daemon")
    args = parser.parse_args()
    provider, receiver = fp.FakeProvider(), fp.WebhookReceiver()
    provider.serve("/hf/v1/models", hf_body())
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.load)]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config = hf_router_daemon_config(tmp, provider.url, receiver.url)
        db = tmp / "pw.duckdb"
        with (tmp / "daemon.log").open("w") as log:  # a pipe nobody reads would fill
            daemon = subprocess.Popen(
                [sys.executable, "-m", "pricewatch", "run", "--now", "nscale.hf-router",
                 "--config", str(config)], cwd=ROOT, stdout=log, stderr=log,
                env=dict(os.environ, PW_TEST_WEBHOOK_SECRET="whsec-bench-0123456789"))
        try:
            while not (tmp / "site" / "index.html").exists():  # past the first run
                if daemon.poll() is not None:
                    raise SystemExit((tmp / "daemon.log").read_text()[-3000:])
                time.sleep(0.05)
            reader = subprocess.Popen([sys.executable, "-c", READER, str(db),
                                       str(tmp / "exports"), str(args.seconds)], cwd=ROOT,
                                      stdout=subprocess.PIPE, text=True)
            samples, locked, longest, since = 0, 0, 0.0, None
            fd = os.open(db, os.O_RDONLY)
            started = time.monotonic()
            dropped = False
            while (now := time.monotonic()) - started < args.seconds:
                if not dropped and now - started > args.seconds / 2:
                    provider.serve("/hf/v1/models", hf_body("0.048"))
                    dropped = True
                samples += 1
                if write_locked(fd):
                    locked += 1
                    since = since or now
                    longest = max(longest, now - since)
                else:
                    since = None
                time.sleep(0.005)
            os.close(fd)
            out, _ = reader.communicate(timeout=args.seconds + 60)
        finally:
            daemon.terminate()
            daemon.wait(30)
            for hog in hogs:
                hog.kill()
        reads, _, slowest = out.split() if reader.returncode == 0 else ("0", "0", "nan")
    provider.close()
    receiver.close()
    share = locked / samples
    print(f"{args.seconds:g} s, {args.load} busy loops: the file write-locked {share:.1%} of "
          f"{samples} samples, longest hold {longest:.2f} s; a reader in another process: "
          f"{reads} reads, slowest {float(slowest):.2f} s (exit {reader.returncode}); "
          f"{len(receiver.received)} alert(s) delivered")
    print(json.dumps({"seconds": args.seconds, "load": args.load,
                      "write_locked_share": round(share, 3), "longest_hold_s": round(longest, 2),
                      "reader_reads": int(reads), "reader_slowest_s": float(slowest),
                      "reader_exit": reader.returncode, "alerts": len(receiver.received)}))


if __name__ == "__main__":
    main()

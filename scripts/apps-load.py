#!/usr/bin/env python3
"""Connection load for scripts/measure-apps.sh (not a benchmark by itself).

  apps-load.py serve ADDR PORT SECONDS
      an echo server: every byte a client sends comes back; exits after
      SECONDS.
  apps-load.py load ADDR PORT SECONDS [OPEN] [RATE]
      holds OPEN (default 200) connections to the server, each sending 100
      bytes and reading them back every 10 s, and opens RATE (default 10)
      new connections a second, each moving 1000 bytes each way and then
      closing; stops after SECONDS. Bounded: at most
      SECONDS * (OPEN * 20 + RATE * 2000) bytes of payload.
"""
import asyncio
import sys
import time


async def serve(addr, port, secs):
    async def echo(r, w):
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()

    srv = await asyncio.start_server(echo, addr, port, backlog=1024)
    async with srv:
        await asyncio.sleep(secs)


async def load(addr, port, secs, nopen, rate):
    end = time.monotonic() + secs
    failures = 0

    async def held():
        nonlocal failures
        try:
            r, w = await asyncio.open_connection(addr, port)
            while time.monotonic() < end:
                w.write(b"x" * 100)
                await w.drain()
                await r.readexactly(100)
                await asyncio.sleep(10)
            w.close()
        except (OSError, asyncio.IncompleteReadError):
            failures += 1

    async def once():
        nonlocal failures
        try:
            r, w = await asyncio.open_connection(addr, port)
            w.write(b"y" * 1000)
            await w.drain()
            await r.readexactly(1000)
            w.close()
            await w.wait_closed()
        except (OSError, asyncio.IncompleteReadError):
            failures += 1

    tasks = [asyncio.create_task(held()) for _ in range(nopen)]
    made = 0
    start = time.monotonic()
    while time.monotonic() < end:
        made += rate
        tasks += [asyncio.create_task(once()) for _ in range(rate)]
        # keep to RATE a second on average, whatever each round took
        await asyncio.sleep(max(0.0, start + made / rate - time.monotonic()))
        tasks = [t for t in tasks if not t.done()]
    await asyncio.gather(*tasks)
    print(f"apps-load: {nopen} held, {made} short connections, {failures} failures", file=sys.stderr)


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("serve", "load"):
        sys.exit(__doc__)
    addr, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if not 0 < secs <= 3600:
        sys.exit("SECONDS must be in (0, 3600]")
    if sys.argv[1] == "serve":
        asyncio.run(serve(addr, port, secs))
    else:
        nopen = int(sys.argv[5]) if len(sys.argv) > 5 else 200
        rate = int(sys.argv[6]) if len(sys.argv) > 6 else 10
        asyncio.run(load(addr, port, secs, nopen, rate))


if __name__ == "__main__":
    main()

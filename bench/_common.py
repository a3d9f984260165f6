"""Shared pieces of the benchmarks: a bounded asyncio HTTP/1.1 load client, latency statistics, process helpers.

The load client speaks just enough HTTP/1.1 for our own JSON API on 127.0.0.1: one connection per
concurrent worker, kept alive when the server allows it (gunicorn's sync workers close after every
response, so it reconnects then), Content-Length or chunked bodies, a timeout on every request.
"""

import asyncio
import contextlib
import os
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

REQUEST_TIMEOUT = 10.0
MAX_BODY = 50_000_000


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One HTTP/1.1 connection to host:port that reopens itself when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, *, headers: dict[str, str], body: bytes = b"") -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**20)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            await self.close()
            raise HttpError(f"connection closed before the response: {error}") from error
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        response_headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                response_headers[name.strip().lower()] = value.strip()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                if size > MAX_BODY:
                    raise HttpError("response too large")
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(chunks)
        elif "content-length" in response_headers:
            length = int(response_headers["content-length"])
            if length > MAX_BODY:
                raise HttpError("response too large")
            data = await self.reader.readexactly(length)
        else:  # no length: the body runs to the end of the connection
            data = await self.reader.read(MAX_BODY)
            response_headers["connection"] = "close"
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, data)


async def request_once(host: str, port: int, method: str, path: str, *, headers=None, body=b"") -> Response:
    connection = Connection(host, port)
    try:
        return await asyncio.wait_for(
            connection.request(method, path, headers=headers or {}, body=body), REQUEST_TIMEOUT
        )
    finally:
        await connection.close()


@dataclass
class LoadResult:
    name: str
    duration: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per part during the measured window

    def merge(self, other: "LoadResult") -> None:
        """Add another measured slice of the same endpoint."""
        self.duration += other.duration
        self.latencies.extend(other.latencies)
        for part, seconds in other.cpu.items():
            self.cpu[part] = self.cpu.get(part, 0.0) + seconds
        for key, count in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + count

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f", errors {errors} {dict(self.errors)}" if errors else ""
        return (
            f"{self.name:<34} {self.rps:8.1f} req/s   p50 {self.percentile_ms(50):7.1f} ms   "
            f"p99 {self.percentile_ms(99):7.1f} ms   ({self.ok} requests in {self.duration:.1f} s{detail})"
        )

    def cpu_line(self) -> str:
        """CPU milliseconds per successful request, per part of the set-up."""
        if not self.cpu or not self.ok:
            return ""
        parts = ", ".join(f"{part} {seconds / self.ok * 1000:.2f}" for part, seconds in self.cpu.items())
        return f"{self.name:<34} CPU ms per request: {parts}"


RequestMaker = Callable[[int], tuple[str, str, dict[str, str], bytes]]
CpuMeter = Callable[[], "CpuSample"]


async def _drive(
    *,
    name: str,
    host: str,
    port: int,
    make_request: RequestMaker,
    concurrency: int,
    warmup: float,
    duration: float,
    cpu_meter: CpuMeter | None = None,
) -> LoadResult:
    result = LoadResult(name=name, duration=duration)
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    end = start + duration
    samples = []
    if cpu_meter is not None:  # CPU time of every part across exactly the measured window
        loop.call_at(start, lambda: samples.append(cpu_meter()))
        loop.call_at(end, lambda: samples.append(cpu_meter()))

    async def worker(index: int) -> None:
        connection = Connection(host, port)
        counter = index
        try:
            while loop.time() < end:
                method, path, headers, body = make_request(counter)
                counter += concurrency
                began = time.perf_counter()
                try:
                    response = await asyncio.wait_for(
                        connection.request(method, path, headers=headers, body=body), REQUEST_TIMEOUT
                    )
                except (TimeoutError, HttpError, OSError) as error:
                    await connection.close()
                    if loop.time() >= start:
                        key = type(error).__name__
                        result.errors[key] = result.errors.get(key, 0) + 1
                    continue
                finished = loop.time()
                if start <= finished <= end:  # count only what completes inside the measured window
                    if 200 <= response.status < 300:
                        result.latencies.append(time.perf_counter() - began)
                    else:
                        key = f"HTTP {response.status}"
                        result.errors[key] = result.errors.get(key, 0) + 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    if len(samples) == 2:
        result.cpu = samples[1] - samples[0]
    return result


def drive(**options) -> LoadResult:
    """Keep `concurrency` requests in flight for warmup + duration seconds; measure the last `duration`
    (and, with a `cpu_meter`, the CPU time each part spent in it). Takes `_drive`'s keyword arguments."""
    return asyncio.run(_drive(**options))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def summary_ms(samples: list[float]) -> str:
    """Median, p90 and max of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms (n={len(ordered)})"
    )


# --- CPU accounting ------------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process on the machine."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry), ppid, command))
    return found


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (the first line of /proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _CLOCK_TICKS


@dataclass
class CpuSample:
    """CPU seconds so far of the parts of one load test, to subtract from a later sample."""

    parts: dict[str, float]

    def __sub__(self, earlier: "CpuSample") -> dict[str, float]:
        return {name: self.parts[name] - earlier.parts.get(name, 0.0) for name in self.parts}


def cpu_sample(*, server_pid: int, database_name: str) -> CpuSample:
    """CPU seconds of the server's workers, the database's backends for `database_name`, this process
    (the load client) and the whole machine. Backends must outlive the measurement (persistent
    connections), or their time is lost when they exit."""
    processes = _processes()
    workers = [pid for pid, ppid, _ in processes if ppid == server_pid]
    backends = [
        pid for pid, _, command in processes if command.startswith("postgres: ") and f" {database_name} " in command
    ]
    client = os.times()
    return CpuSample(
        {
            "server workers": sum(_process_cpu_seconds(pid) for pid in workers),
            "PostgreSQL": sum(_process_cpu_seconds(pid) for pid in backends),
            "load client": client.user + client.system,
            "whole machine": _machine_busy_seconds(),
        }
    )

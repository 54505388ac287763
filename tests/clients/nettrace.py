"""Which network endpoints a process tree tried to reach, from an strace of its socket calls.

Used to show that the CLIs, set up as the harness sets them up, talk to 127.0.0.1 and nothing else: no
telemetry, no update check, no DNS to an outside resolver.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

# strace prints IPv4 as inet_addr("1.2.3.4") and IPv6 as inet_pton(AF_INET6, "::1", &sin6_addr).
_ADDRESS = re.compile(r'sin_addr=inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def unavailable_reason() -> str | None:
    """Why tracing cannot work here (no strace, or ptrace not permitted), or None."""
    if shutil.which("strace") is None:
        return "strace is not installed"
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", "/dev/null", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.strip()[:200]}"
    return None


def wrapper(trace_file: Path) -> list[str]:
    """A command prefix that traces every process's connect/sendto/sendmsg into trace_file."""
    return ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace_file)]


def addresses(trace_text: str) -> list[str]:
    """Every IP address a socket call named, in order."""
    return [v4 or v6 for v4, v6 in _ADDRESS.findall(trace_text)]


def is_loopback(address: str) -> bool:
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.is_loopback

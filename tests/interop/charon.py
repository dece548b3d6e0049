"""A real strongSwan charon for interop tests, confined to loopback and a temporary directory.

`Charon(tmp_path, ...)` writes strongswan.conf + swanctl.conf, starts charon in its own mount
namespace with a private /run (so it never meets a system charon's pid file or sockets), on
IKE and NAT-T ports the system reports free (charon binds the wildcard address; no test relies on
500/4500, which a system IKE daemon may hold), with kernel-libipsec (this kernel has no ESP; libipsec forces UDP encapsulation).
`swanctl(...)` runs swanctl against its vici socket; `list_sas()` parses `swanctl --list-sas
--raw`; `stop()` sends SIGTERM (clean: charon sends DELETE), `kill()` SIGKILL (a dead peer).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .ports import free_udp_ports

CHARON = "/usr/lib/ipsec/charon"
TUN = "rsinterop0"
PLUGINS = ("random nonce openssl aes sha1 sha2 md5 hmac gmp pem pkcs1 x509 pubkey "
           "kernel-libipsec kernel-netlink socket-default vici")


def ensure_tun(address: str) -> None:
    """libipsec wants the local traffic selector's address on a non-loopback interface; an
    unconnected, unrouted tun device carries it (nothing is ever sent through it)."""
    # two test runs may race to create either: losing the race is as good as winning it
    if subprocess.run(["ip", "link", "show", TUN], capture_output=True).returncode != 0:
        subprocess.run(["ip", "tuntap", "add", "dev", TUN, "mode", "tun"], capture_output=True)
        subprocess.run(["ip", "link", "show", TUN], capture_output=True, check=True)
    have = subprocess.run(["ip", "-4", "addr", "show", "dev", TUN], capture_output=True,
                          text=True).stdout
    if f"inet {address}/" not in have:
        subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", TUN], capture_output=True)
        have = subprocess.run(["ip", "-4", "addr", "show", "dev", TUN], capture_output=True,
                              text=True, check=True).stdout
        if f"inet {address}/" not in have:
            raise RuntimeError(f"could not put {address} on {TUN}")


@dataclass
class Conn:
    """One swanctl connection (IKEv1, PSK) with one child."""

    local: str = "127.0.0.2"
    remote: str = "127.0.0.1"
    remote_port: int = 500  # tests set the port their endpoint or bridge got
    psk: str = "interop-secret"
    proposals: str = "aes128-sha1-modp1024"
    esp_proposals: str = "aes128-sha1-modp1024"
    local_ts: str = "198.51.100.0/24"
    remote_ts: str = "203.0.113.0/24"
    local_id: str | None = None
    remote_id: str | None = None
    dpd_delay: int = 0
    dpd_action: str = "clear"
    aggressive: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    child_extra: dict[str, str] = field(default_factory=dict)
    # certificate authentication (auth "pubkey"): absolute paths of charon's certificate, its
    # RSA key (PKCS#1 PEM) and the CA certificate it trusts for the peer
    auth: str = "psk"
    cert: str | None = None
    key: str | None = None
    cacert: str | None = None

    def _auth(self) -> tuple[str, str, str]:
        """(local auth lines, remote auth lines, secret) for swanctl.conf."""
        if self.auth != "pubkey":
            return "auth = psk", "auth = psk", f'ike-peer {{\n    secret = "{self.psk}"\n  }}'
        # Charon copies the files into swanctl's x509/, x509ca/ and rsa/ beside swanctl.conf
        # (the key loads from rsa/ by itself)
        return (f"auth = pubkey\n      certs = {Path(self.cert or '').name}",
                f"auth = pubkey\n      cacerts = {Path(self.cacert or '').name}", "")

    def swanctl_conf(self, name: str = "rs") -> str:
        ids = ""
        lid = f"\n      id = {self.local_id}" if self.local_id else ""
        rid = f"\n      id = {self.remote_id}" if self.remote_id else ""
        extra = "".join(f"\n    {k} = {v}" for k, v in self.extra.items())
        child_extra = "".join(f"\n        {k} = {v}" for k, v in self.child_extra.items())
        local_auth, remote_auth, secret = self._auth()
        return f"""connections {{
  {name} {{
    version = 1
    aggressive = {"yes" if self.aggressive else "no"}
    local_addrs = {self.local}
    remote_addrs = {self.remote}
    remote_port = {self.remote_port}
    proposals = {self.proposals}
    encap = yes
    dpd_delay = {self.dpd_delay}s
    rekey_time = 0
    reauth_time = 0{extra}{ids}
    local {{
      {local_auth}{lid}
    }}
    remote {{
      {remote_auth}{rid}
    }}
    children {{
      net {{
        local_ts = {self.local_ts}
        remote_ts = {self.remote_ts}
        esp_proposals = {self.esp_proposals}
        mode = tunnel
        dpd_action = {self.dpd_action}
        rekey_time = 0
        start_action = none{child_extra}
      }}
    }}
  }}
}}
secrets {{
  {secret}
}}
"""


class Charon:
    def __init__(self, tmp: Path, conn: Conn, port: int | None = None,
                 nat_port: int | None = None, retransmit_tries: int = 2,
                 retransmit_timeout: float = 1.0) -> None:
        if port is None or nat_port is None:
            port, nat_port = free_udp_ports(2)
        self.dir = tmp / "charon"
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conn = conn
        self.port, self.nat_port = port, nat_port
        self.socket = f"unix://{self.dir}/charon.vici"
        self.log = self.dir / "charon.log"
        self.conf = self.dir / "strongswan.conf"
        self.swanctl_conf = self.dir / "swanctl.conf"
        self.conf.write_text(f"""charon {{
  port = {port}
  port_nat_t = {nat_port}
  load = {PLUGINS}
  install_routes = no
  install_virtual_ip = no
  retransmit_tries = {retransmit_tries}
  retransmit_timeout = {retransmit_timeout}
  retransmit_base = 1.4
  filelog {{
    log {{
      path = {self.log}
      default = 1
      ike = 2
      cfg = 1
      knl = 1
      flush_line = yes
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
  plugins {{
    vici {{
      socket = {self.socket}
    }}
  }}
}}
""")
        if conn.auth == "pubkey":
            for sub, src in (("x509", conn.cert), ("x509ca", conn.cacert), ("rsa", conn.key)):
                (self.dir / sub).mkdir(exist_ok=True)
                (self.dir / sub / Path(src or "").name).write_bytes(Path(src or "").read_bytes())
        self.swanctl_conf.write_text(conn.swanctl_conf())
        self.proc: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "STRONGSWAN_CONF": str(self.conf)}

    def start(self, timeout: float = 10.0) -> None:
        ensure_tun(self.conn.local_ts.split("/")[0].rsplit(".", 1)[0] + ".1")
        script = f'mount --bind "{self.run_dir}" /run && exec {CHARON}'
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                      script], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"charon exited: {self.log_text()[-2000:]}")
            if self.swanctl("--stats", check=False).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("charon did not open its vici socket")
        self.swanctl("--load-all", "--file", str(self.swanctl_conf))

    def swanctl(self, *args: str, check: bool = True, timeout: float = 20.0
                ) -> subprocess.CompletedProcess:
        cmd = ["swanctl", *args, "--uri", self.socket]
        res = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {res.stdout}{res.stderr}")
        return res

    def initiate(self, timeout: int = 8) -> subprocess.CompletedProcess:
        return self.swanctl("--initiate", "--ike", "rs", "--child", "net", "--timeout",
                            str(timeout), check=False, timeout=timeout + 5)

    def list_sas(self) -> dict:
        """{ike name: {..., "child-sas": {child name: {...}}}} from `--list-sas --raw`."""
        out = self.swanctl("--list-sas", "--raw").stdout
        sas: dict = {}
        for line in out.splitlines():
            m = re.match(r"^list-sa event (.*)$", line.strip())
            if m:
                body = m.group(1).strip()
                sas.update(parse_raw(body[1:-1] if body.startswith("{") else body))
        return sas

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)  # unshare exec'd sh which exec'd charon: same pid
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_TOKEN = re.compile(r"\s*(?:(\})|(\])|([^\s={}\[\]]+)\s*(\{)|([^\s={}\[\]]+)=\[|"
                    r"([^\s={}\[\]]+)=(\S*?)(?=\s|\}|$)|([^\s{}\[\]]+))")


def parse_raw(text: str) -> dict:
    """Parse swanctl's --raw vici dump: `name {key=value list=[a b] sub {...}}`."""
    pos = 0
    stack: list = [{}]
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        close, close_list, sect, _brace, list_key, key, value, item = m.groups()
        top = stack[-1]
        if close or close_list:
            if len(stack) > 1:
                stack.pop()
        elif sect:
            new: dict = {}
            top[sect] = new
            stack.append(new)
        elif list_key:
            lst: list = []
            top[list_key] = lst
            stack.append(lst)
        elif key:
            top[key] = value
        elif item and isinstance(top, list):
            top.append(item)
    return stack[0]

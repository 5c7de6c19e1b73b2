"""A faithful fake Vobiz Phone Numbers API over real HTTP: seeded state, a controllable clock, fault
knobs and a control API under `/_sandbox/`. It is the other side of the wire: it never imports the
client. Start with `SandboxServer` (tests, the demo) or `numbers-bot sandbox` (a terminal)."""

from fakes.vobiz.seed import MASTER_AUTH_ID, MASTER_TOKEN, SEED, START
from fakes.vobiz.server import SandboxServer, run_standalone

__all__ = ["MASTER_AUTH_ID", "MASTER_TOKEN", "SEED", "START", "SandboxServer", "run_standalone"]

"""The bench package lives at the repository's top level beside the installed packages, not inside one;
make it importable however pytest was started."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

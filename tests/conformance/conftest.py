"""The conformance tests read the committed API name lists with the extractor's own lookup code."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "api_surfaces"))

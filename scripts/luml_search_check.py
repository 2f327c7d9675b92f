"""Checks luml-sdk's own filter validator accepts every filter of Sextant's search corpus and
rejects every one listed as a Sextant extension, so docs/search.md's subset claim holds.

Both lists are read from crates/sextant-core/src/search/corpus.rs so there is one copy.
"""

import re
import sys
from pathlib import Path

from luml.experiments.backends._search_utils import SearchExperimentsUtils

src = Path(__file__).resolve().parent.parent / "crates/sextant-core/src/search/corpus.rs"
text = src.read_text()


def strings(name):
    block = text.split(f"pub const {name}")[1].split("];")[0]
    return [m.encode().decode("unicode_escape") for m in re.findall(r'^\s*"(.*)",\s*$', block, re.M)]


corpus, extensions = strings("CORPUS"), strings("SEXTANT_ONLY")
assert len(corpus) + len(extensions) >= 30 and extensions, (corpus, extensions)
failed = []
for f in corpus:
    try:
        SearchExperimentsUtils.validate_filter_string(f)
    except Exception as e:  # noqa: BLE001 - report every rejection
        failed.append(f"luml rejects corpus filter {f!r}: {type(e).__name__}: {e}")
for f in extensions:
    try:
        SearchExperimentsUtils.validate_filter_string(f)
        failed.append(f"luml accepts {f!r}, listed as a Sextant extension")
    except Exception:  # noqa: BLE001 - rejection is what we expect
        pass
for line in failed:
    print(line)
print(f"luml-sdk accepted {len(corpus)} corpus filters and rejected {len(extensions)} extensions: "
      + ("FAILED" if failed else "ok"))
sys.exit(1 if failed else 0)

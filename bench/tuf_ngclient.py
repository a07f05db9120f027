#!/usr/bin/env python3
"""python-tuf ngclient doing the refresh `glassbox tuf verify` benchmarks.

Usage: tuf_ngclient.py REPO_DIR TRUSTED_ROOT FAKETIME

Offline: a FetcherInterface subclass reads the repository's files from
disk (the same work glassbox's directory source does), and the ngclient's
reference time is pinned to FAKETIME (the repository expires every few
days). Prints the in-process refresh time in milliseconds and the final
root version; exits 1 if the refresh fails.
"""

import datetime as _dt
import os
import shutil
import sys
import tempfile
import time
from urllib.parse import unquote, urlparse

import tuf.ngclient._internal.trusted_metadata_set as tms
from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface


class FileFetcher(FetcherInterface):
    def _fetch(self, url):
        path = unquote(urlparse(url).path)
        if not os.path.isfile(path):
            raise DownloadHTTPError(f"not found: {path}", 404)
        with open(path, "rb") as f:
            yield f.read()


def pin_time(at: _dt.datetime) -> None:
    class PinnedDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return at

    class PinnedModule:
        datetime = PinnedDatetime
        timezone = _dt.timezone
        timedelta = _dt.timedelta

    tms.datetime = PinnedModule


def main() -> int:
    repo, root, faketime = sys.argv[1:4]
    pin_time(_dt.datetime.fromisoformat(faketime.strip()))
    state = tempfile.mkdtemp()
    try:
        shutil.copy(root, os.path.join(state, "root.json"))
        repo = os.path.abspath(repo)
        start = time.perf_counter()
        updater = Updater(
            metadata_dir=state,
            metadata_base_url=f"file://{repo}/metadata/",
            target_dir=state,
            target_base_url=f"file://{repo}/targets/",
            fetcher=FileFetcher(),
            bootstrap=None,
        )
        updater.refresh()
        elapsed = (time.perf_counter() - start) * 1000
        with open(os.path.join(state, "root.json"), "rb") as f:
            import json

            version = json.load(f)["signed"]["version"]
        print(f"{elapsed:.2f} ms refresh, root v{version}")
        return 0
    except Exception as e:  # noqa: BLE001
        print(f"refresh failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(state)


if __name__ == "__main__":
    sys.exit(main())

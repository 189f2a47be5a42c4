"""A progress bar for the command line, drawn on stderr so stdout stays clean for data."""

import sys
import time


class ProgressBar:
    def __init__(self, label: str, stream=None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.last = 0.0

    def __call__(self, done: int, total: int | None):
        now = time.monotonic()
        if total and done < total and now - self.last < 0.2:
            return
        self.last = now
        if total:
            filled = int(self.width * done / max(total, 1))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done:,}/{total:,}")
        else:
            self.stream.write(f"\r{self.label} {done:,} rows")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()

"""Counting output that arrives after its execution ended, and reporting it at a limited rate."""

import time

from seatbelt_runtime import protocol
from seatbelt_runtime.channel import send_json

LATE_OUTPUT_REPORT_INTERVAL_S = 1.0


class LateOutput:
    """Count of bytes discarded since the last LATE_OUTPUT frame; report() without force sends at most one frame per interval."""

    def __init__(self):
        self.bytes = 0
        self.reported_at = 0.0

    def add(self, count):
        """Count count discarded bytes and report them when the interval allows it."""
        self.bytes += count
        self.report()

    def report(self, force=False):
        """Send the count kept so far, unless it is empty or, without force, the interval has not passed."""
        if not self.bytes:
            return
        now = time.monotonic()
        if force or now - self.reported_at >= LATE_OUTPUT_REPORT_INTERVAL_S:
            send_json(protocol.LATE_OUTPUT, 0, {"bytes": self.bytes})
            self.bytes = 0
            self.reported_at = now

    def seconds_to_report(self):
        """Return how long until held-back bytes may be reported, or None when none are held back."""
        if not self.bytes:
            return None
        return max(0.0, self.reported_at + LATE_OUTPUT_REPORT_INTERVAL_S - time.monotonic())

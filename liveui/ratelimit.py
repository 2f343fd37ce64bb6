"""`TokenBucket`: a sustained rate with a burst allowance, for per-user limits on both sides."""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one (monotonic `now`)."""
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def retry_after(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1.0 - self._tokens) / self.rate) if self.rate > 0 else 60.0

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled (nothing to remember about its owner)."""
        return self._tokens + (now - self._at) * self.rate >= self.burst

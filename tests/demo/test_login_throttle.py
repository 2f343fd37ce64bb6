"""`LoginThrottle`'s policy, on a clock the test moves: limits per (username, address) and per
address refuse only the guessing address; failures from many addresses slow a username down
rather than lock it."""

from __future__ import annotations

import pytest

from demo.auth import LoginThrottle, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_attackers_failures_do_not_stop_the_user_from_another_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(per_pair=5, per_peer=50, clock=clock)
    for _ in range(5):
        throttle.check("bob", "10.0.0.66")
        throttle.failed("bob", "10.0.0.66")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("bob", "10.0.0.66")
    assert 0 < refused.value.retry_after <= 60
    assert throttle.check("bob", "192.168.1.5") == 0.0  # bob, at home
    throttle.check("alice", "10.0.0.66")  # the address may still try other names
    clock.now += 61
    assert throttle.check("bob", "10.0.0.66") == 0.0  # aged out


def test_an_address_guessing_many_names_is_refused() -> None:
    throttle = LoginThrottle(per_pair=5, per_peer=10, clock=Clock())
    for n in range(10):
        throttle.failed(f"user{n}", "10.0.0.66")
    with pytest.raises(TooManyAttempts):
        throttle.check("someone-else", "10.0.0.66")
    assert throttle.check("someone-else", "10.0.0.67") == 0.0


def test_failures_from_many_addresses_cost_a_delay_not_a_lockout() -> None:
    throttle = LoginThrottle(slow_after=20, delay=1.0, clock=Clock())
    for n in range(100):
        throttle.failed("bob", f"10.0.{n // 250}.{n % 250}")
    assert throttle.check("bob", "192.168.1.5") == 1.0  # slower, never refused
    assert throttle.check("alice", "192.168.1.5") == 0.0


def test_a_success_clears_its_own_address_only() -> None:
    throttle = LoginThrottle(per_pair=2, clock=Clock())
    for peer in ("10.0.0.1", "10.0.0.2"):
        throttle.failed("bob", peer)
        throttle.failed("bob", peer)
    throttle.succeeded("bob", "10.0.0.1")
    assert throttle.check("bob", "10.0.0.1") == 0.0
    with pytest.raises(TooManyAttempts):
        throttle.check("bob", "10.0.0.2")


def test_memory_is_bounded() -> None:
    throttle = LoginThrottle(max_keys=100, clock=Clock())
    for n in range(1000):
        throttle.failed(f"u{n}", f"p{n}")
    assert len(throttle._failures) <= 100

"""Logins under attack from many source addresses (127.x.y.z on loopback, each a network of its own): the
owner's right secret is never refused for someone else's failures, guesses at a person's secret are bounded,
and a flood costs the worker little CPU. (Threat 9 of SECURITY.md.)"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import Glacier2
import Ice
import pytest

from tests.security.attack import Client
from tests.security.conftest import SECRETS, SUBSCRIPTIONS
from workshop.local import LocalStack
from wostream.core.credentials import new_secret

GENERATED = new_secret()  # 256 random bits: the kind `wostream secret new` makes
WITH_GENERATED = SUBSCRIPTIONS + (
    '  - baseCode: GEN\n    secret: ${GEN_SECRET}\n    dataAreas: [fwwt]\n    changeIds: ["*"]\n'
    '    scope: {organIds: ["*"]}\n'
)


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)


def login(stack: LocalStack, code: str, secret: str, source: str) -> tuple[str, float]:
    """One login from `source`: ("ok" or the refusal's reason, seconds it took)."""
    client = Client(stack.certs.ca_file, stack.router_proxy(), Ice_Default_SourceAddress=source)
    started = time.monotonic()
    try:
        client.login(code, secret)
        return "ok", time.monotonic() - started
    except Glacier2.PermissionDeniedException as exc:
        return str(exc.reason), time.monotonic() - started
    except Ice.Exception as exc:
        return type(exc).__name__, time.monotonic() - started
    finally:
        client.close()


def hammer(
    stack: LocalStack, code: str, seconds: float, threads: int, tally: Tally, first_net: int = 1
) -> None:
    """`threads` attackers, each rotating through networks of its own, guessing `code`'s secret."""

    def attacker(k: int) -> None:
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            net = 1 + (first_net + k * 50 + n) % 250
            answer, _ = login(stack, code, f"guess-{k}-{n}", f"127.{net}.{n % 250 + 1}.{k + 1}")
            tally.answers[answer.split(";")[0]] += 1
            n += 1

    workers = [threading.Thread(target=attacker, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks


@pytest.fixture
def stack(own: LocalStack) -> LocalStack:
    (own.workdir / "gen.yaml").write_text(WITH_GENERATED, encoding="utf-8")
    own.cli("subscriptions", "apply", str(own.workdir / "gen.yaml"), env={**SECRETS, "GEN_SECRET": GENERATED})
    return own


def test_the_owner_of_a_generated_secret_is_never_refused_while_many_addresses_guess(
    stack: LocalStack,
) -> None:
    attack = Tally()
    thread = threading.Thread(target=hammer, args=(stack, "GEN", 15.0, 3, attack))
    thread.start()
    owner = Tally()
    time.sleep(1.0)  # the attack is under way (its count below proves it ran alongside)
    while thread.is_alive():
        answer, took = login(stack, "GEN", GENERATED, "127.250.0.1")
        owner.answers[answer] += 1
        owner.seconds.append(took)
    thread.join()
    print(
        f"\nLOGINS generated secret under attack: {sum(attack.answers.values())} guesses from "
        f"{min(sum(attack.answers.values()), 600)} addresses ({dict(attack.answers)}); owner "
        f"{dict(owner.answers)}, login p50 {statistics.median(owner.seconds) * 1000:.0f} ms, "
        f"max {max(owner.seconds) * 1000:.0f} ms"
    )
    assert sum(attack.answers.values()) >= 100, "the attack ran while the owner logged in"
    assert set(attack.answers) == {"wrong baseCode or secret"}, "no lockout for a generated secret"
    assert set(owner.answers) == {"ok"} and owner.answers["ok"] >= 10
    unknown = login(stack, "NOSUCH", "guess", "127.251.0.1")[0]
    assert unknown == "wrong baseCode or secret", "an unknown code is answered as a wrong secret"


def test_guesses_at_a_persons_secret_are_bounded_and_its_owner_is_not_locked_out(stack: LocalStack) -> None:
    assert login(stack, "SUBA", SECRETS["A_SECRET"], "127.200.0.1")[0] == "ok"  # the owner's usual network
    one_network = [login(stack, "SUBA", f"guess-{n}", f"127.60.0.{n + 1}")[0] for n in range(7)]
    assert one_network[:5] == ["wrong baseCode or secret"] * 5
    assert all(
        a.startswith("too many failed logins for this baseCode; try again in") for a in one_network[5:]
    )
    assert login(stack, "SUBA", SECRETS["A_SECRET"], "127.61.0.1")[0] == "ok", "another network is not held"
    attack = Tally()
    thread = threading.Thread(target=hammer, args=(stack, "SUBA", 20.0, 3, attack, 2))
    thread.start()
    owner = Tally()
    time.sleep(1.0)
    while thread.is_alive():  # the owner, from the network it logged in from before, once a second
        answer, took = login(stack, "SUBA", SECRETS["A_SECRET"], "127.200.0.7")
        owner.answers[answer] += 1
        owner.seconds.append(took)
        time.sleep(max(0.0, 1.0 - took))
    thread.join()
    checked = attack.answers["wrong baseCode or secret"]
    print(
        f"\nLOGINS person's secret under attack from many networks, 20 s: {dict(attack.answers)}; owner "
        f"{dict(owner.answers)}, login p50 {statistics.median(owner.seconds) * 1000:.0f} ms, "
        f"max {max(owner.seconds) * 1000:.0f} ms"
    )
    assert attack.answers["too many failed logins for this baseCode"] > 0, "the budget held guesses back"
    assert checked <= 10 + 30 * 20 / 60 + 3, f"{checked} guesses checked in 20 s: more than the budget"
    assert dict(owner.answers) == {"ok": len(owner.seconds)}, "its owner got in every time"
    assert len(owner.seconds) >= 10, "the owner logged in while the attack ran"


def test_a_login_flood_costs_the_worker_little_cpu(stack: LocalStack) -> None:
    worker = stack.workers["w1"].pid
    assert worker is not None
    floods = {"unknown codes": "NOSUCH", "a generated secret": "GEN", "a person's secret": "SUBA"}
    figures = {}
    for what, code in floods.items():
        tally = Tally()
        before, started = cpu_seconds(worker), time.monotonic()
        hammer(stack, code, 10.0, 4, tally, first_net=100)
        wall = time.monotonic() - started
        used = (cpu_seconds(worker) - before) / wall
        rate = sum(tally.answers.values()) / wall
        figures[what] = (round(rate), round(used, 2))
        assert rate >= 20, f"the flood of {what} ran ({rate:.0f} logins/s)"
        assert used <= 0.6, f"{what}: the worker used {used:.2f} cores for {rate:.0f} logins/s"
    print(f"\nLOGINS flood, (logins/s, worker cores): {figures}")

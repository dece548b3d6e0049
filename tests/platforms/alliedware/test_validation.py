"""Seed 004 validation: retryikeattempts needs a specific ISAKMP peer (the device's error, no
change); 0..16 or continuous, 17 refused; a non-specific IPsec peer address is accepted but the
policy negotiates nothing (retries off). Other refusals change nothing either."""

from __future__ import annotations

import pytest

from .helpers import Lab

OK = "Info (1082003): Operation successful.\n"


@pytest.fixture
async def lab(mock_clock, world):
    lab = Lab(world)
    lab.configure()
    return lab


async def test_retryikeattempts_with_peer_any_is_refused(mock_clock, lab):
    out = lab.cmd("create isakmp policy=roam peer=any key=1 retryikeattempts=3")
    assert out == "Error (3082130): RETRYIKEATTEMPTS is only valid with a specific PEER address.\n"
    assert lab.cmd("show isakmp policy=roam") == "Error (3082200): ISAKMP policy roam does not exist.\n"
    assert lab.cmd("create isakmp policy=roam peer=any key=1") == OK
    assert lab.cmd("set isakmp policy=roam retryikeattempts=continuous").startswith("Error (3082130)")
    # and the other way round: a policy that retries cannot lose its specific peer
    assert lab.cmd("set isakmp policy=vpn retryikeattempts=2") == OK
    assert lab.cmd("set isakmp policy=vpn peer=any").startswith("Error (3082130)")
    assert "Peer Address .............................. 203.0.113.2\n" in lab.cmd("show isakmp policy=vpn")
    dyn = lab.cmd("show config dynamic")
    assert "create isakmp policy=roam peer=any key=1" in dyn
    assert "retryikeattempts=2" in dyn and "peer=any retryikeattempts" not in dyn


@pytest.mark.parametrize("value,shown", [("0", "0"), ("16", "16"), ("cont", "Continuous"),
                                         ("CONTINUOUS", "Continuous"), ("7", "7")])
async def test_range_and_continuous(mock_clock, lab, value, shown):
    assert lab.cmd(f"set isakmp policy=vpn retryikeattempts={value}") == OK
    assert f"Retry IKE Attempts ........................ {shown}\n" in lab.cmd("show isakmp policy=vpn")


@pytest.mark.parametrize("value", ["17", "100", "-1", "forever"])
async def test_out_of_range_is_refused_and_nothing_changes(mock_clock, lab, value):
    lab.cmd("set isakmp policy=vpn retryikeattempts=5")
    out = lab.cmd(f"set isakmp policy=vpn retryikeattempts={value}")
    assert out == (f'Error (3035012): Value "{value}" is invalid for parameter RETRYIKEATTEMPTS'
                   " (0..16 or CONTINUOUS).\n")
    assert "Retry IKE Attempts ........................ 5\n" in lab.cmd("show isakmp policy=vpn")


async def test_non_specific_ipsec_peer_is_accepted_without_retries(mock_clock, lab):
    assert lab.cmd("set isakmp policy=vpn retryikeattempts=4") == "Info (1082003): Operation successful.\n"
    assert lab.cmd("create ipsec policy=any interface=eth0 action=ipsec bundle=1 isakmp=vpn "
                   "peeraddress=any") == "Info (1081003): Operation successful.\n"
    tunnels = {t.spec.name: t for t in lab.dev.tunnels.tunnels()}
    assert tunnels["any"].spec.establish == "responder"  # it only answers: nothing to retry
    assert lab.dev.tunnels.controller("any") is None


@pytest.mark.parametrize("line,error", [
    ("set isakmp policy=vpn msgretrylimit=1025",
     'Error (3035012): Value "1025" is invalid for parameter MSGRETRYLIMIT (0..1024).\n'),
    ("set isakmp policy=vpn msgtimeout=0",
     'Error (3035012): Value "0" is invalid for parameter MSGTIMEOUT (1..86400).\n'),
    ("set isakmp policy=vpn msgbackoff=linear",
     'Error (3035012): Value "linear" is invalid for parameter MSGBACKOFF (INCREMENTAL or NONE).\n'),
    ("set isakmp policy=nope msgtimeout=5", "Error (3082106): ISAKMP policy nope does not exist.\n"),
    ("create isakmp policy=vpn peer=203.0.113.9", "Error (3082105): ISAKMP policy vpn already exists.\n"),
    ("create isakmp policy=x", "Error (3035013): Required parameter PEER missing.\n"),
    ("create isakmp policy=x peer=1.2.3.4 group=3",
     "Error (3082121): GROUP 3 is not supported; use 1, 2 or 5.\n"),
    ("set isakmp policy=vpn msgt=5 msgt=6", "Error (3035005): Parameter MSGTIMEOUT specified more than once.\n"),
    ("set isakmp policy=vpn colour=blue", 'Error (3035004): Parameter "colour" not recognised.\n'),
    ("frobnicate", 'Error (3035001): Unknown command "frobnicate".\n'),
    ("create ipsec policy=b interface=eth9 action=ipsec",
     "Error (3081121): Interface eth9 is not an IP interface.\n"),
    ("destroy ipsec saspecification=1", "Error (3081124): SA specification 1 is used by bundle 1.\n"),
    ("create", "Error (3035002): Incomplete command.\n"),
])
async def test_errors_change_nothing(mock_clock, lab, line, error):
    before = lab.cmd("show config dynamic")
    assert lab.cmd(line) == error
    assert lab.cmd("show config dynamic") == before


async def test_user_level_may_only_show(mock_clock, lab):
    assert lab.cmd("set isakmp policy=vpn msgtimeout=5", level="USER") == (
        "Error (3035020): Operation not permitted at the current privilege level.\n")
    assert lab.cmd("show isakmp policy=vpn", level="USER").startswith("Name ....")
    assert lab.cmd("show enco key", level="USER").startswith("Error (3035020)")


async def test_counter_groups_we_do_not_keep_are_refused(mock_clock, lab):
    assert lab.cmd("show isakmp counters=main") == (
        'Error (3035012): Value "main" is invalid for parameter COUNTERS (GENERAL or SPD).\n')

"""The AlliedWare shell: logins and their prompts and privilege, Info/Error messages, Tab and
`?`, LOGOFF, the platform contract (startup check with the failing line, authentication),
persistence through CREate CONFIG / SET CONFIG across a restart, and the command script that
SHow CONFIG DYNamic prints replaying to the same state."""

from __future__ import annotations

from routershell.cli.io import BufferIO
from routershell.platforms import registry
from routershell.platforms.alliedware.model import script
from routershell.platforms.alliedware.operations import Executor
from routershell.platforms.alliedware.router import Router
from routershell.runtime.device import Device

from .harness import Transcript, lab


async def test_prompts_by_level_and_system_name(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert t.session.prompt() == "Manager r1> "
        assert await t.run("add user=ops password=secret privilege=user") == "Info (1051003): Operation successful.\n"
        assert await t.run("add user=sec password=officer privilege=securityofficer") == "Info (1051003): Operation successful.\n"
        assert app.new_session("ops", "ssh").prompt() == "r1> "
        assert app.new_session("sec", "ssh").prompt() == "SecOff r1> "
        await t.run("set system name=")
        assert t.session.prompt() == "Manager > "
        assert app.new_session("ops", "ssh").prompt() == "> "


async def test_user_level_shows_but_does_not_change(mock_clock):
    async with lab(mock_clock) as app:
        await Transcript(app).run("add user=ops password=secret privilege=user")
        t = Transcript(app, "ops", "ssh")
        assert (await t.run("show isakmp policy=vpn")).startswith("Name ....")
        assert await t.run("destroy isakmp policy=vpn") == (
            "Error (3035020): Operation not permitted at the current privilege level.\n")
        assert await t.run("show config dynamic") == (
            "Error (3035020): Operation not permitted at the current privilege level.\n")
        assert "vpn" in await Transcript(app).run("show isakmp policy")


async def test_logoff_ends_the_session(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert await t.run("LOGOFF") == ""
        assert t.session.closed


async def test_case_and_abbreviation_as_the_manual_prints_them(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        a = await t.run("SHOW ISAKMP POLICY=vpn")
        assert a == await t.run("sh isa pol=vpn") == await t.run("Show Isakmp Policy=VPN")
        assert await t.run("s isa pol=vpn") == 'Error (3035001): Unknown command "s".\n'


async def test_tab_and_question_mark(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        assert [d for _, d, _ in s.complete("show isakmp ")] == ["POLicy=", "SA=", "EXchange=", "COUnters="]
        assert [w for w, _, _ in s.complete("show isakmp ")] == ["policy=", "sa=", "exchange=", "counters="]
        # a value replaces the whole KEY=value word being typed
        assert [w for w, _, _ in s.complete("set isakmp policy=vpn msgb=")] == ["msgb=incremental", "msgb=none"]
        assert [w for w, _, _ in s.complete("set isakmp policy=vpn msgb=in")] == ["msgb=incremental"]
        assert not s.complete_on_space
        text = s.help("set isakmp policy=vpn retry")
        assert text.startswith("Manager r1> set isakmp policy=vpn retry?\n")
        assert "RETRYIKEattempts=" in text and "New attempts after a failed exchange" in text


def test_platform_contract():
    p = registry.get("alliedware")
    assert p.name == "alliedware" and p.default_model == "AR450S"
    assert p.check_startup("enable ip\ncreate isakmp policy=x peer=any retryikeattempts=1\n") == (
        2, "Error (3082130): RETRYIKEATTEMPTS is only valid with a specific PEER address.")
    assert p.check_startup("# comment\nenable ip\n") is None
    dev = Device("r", "alliedware")
    dev.driver = Router(dev)
    assert p.login_prompts(dev) == ("login: ", "Password: ")
    assert p.authenticate(dev, "manager", "friend") and p.authenticate(dev, "MANAGER", "friend")
    assert not p.authenticate(dev, "manager", "Friend") and not p.authenticate(dev, "guest", "")


def test_the_script_replays_to_the_same_state():
    from .helpers import BASE

    r1 = Router(Device("a", "alliedware"))
    assert Executor(r1).run_script(BASE.replace("{isakmp}", "msgbackoff=none retryikeattempts=4")
                                   + "enable isakmp\nenable ipsec\n") == []
    text = "\n".join(script(r1.config))
    r2 = Router(Device("b", "alliedware"))
    r2.config.keys = r1.config.keys  # ENCO keys live in key storage, not in the script
    assert Executor(r2).run_script(text) == []
    assert script(r2.config) == script(r1.config)


async def test_boot_config_survives_a_restart(mock_clock, tmp_path):
    async with lab(mock_clock, state_dir=tmp_path) as app:
        t = Transcript(app)
        await t.run("set isakmp policy=vpn msgbackoff=none retryikeattempts=5")
        assert await t.run("create config=saved.cfg") == "Info (1049003): Operation successful.\n"
        assert await t.run("set config=saved.cfg") == "Info (1049003): Operation successful.\n"
        assert await t.run("set config=missing.cfg") == "Error (3049103): File missing.cfg does not exist.\n"
        assert await t.run("create config=../escape.cfg") == (
            'Error (3049101): File name "../escape.cfg" is not valid (name.cfg).\n')
        await t.run("create enco key=2 type=general value=second")
    async with lab(mock_clock, state_dir=tmp_path) as app:
        t = Transcript(app)
        pol = await t.run("show isakmp policy=vpn")
        assert "Message Back-off .......................... None\n" in pol
        assert "Retry IKE Attempts ........................ 5\n" in pol
        assert "Boot configuration file ................... saved.cfg (exists)" in await t.run("show config")
        keys = await t.run("show enco key")
        assert "2       GENERAL     6" in keys and "second" not in keys


async def test_key_values_are_never_shown(mock_clock):
    async with lab(mock_clock) as app:
        io = BufferIO()
        s = Transcript(app).session
        for line in ("show enco key", "show enco key=1", "show config dynamic", "show isakmp policy=vpn",
                     "show config"):
            await app.run(s, line, io)
        assert "lab-secret" not in io.text()


async def test_a_refused_command_marks_the_session_failed(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        io = BufferIO()
        await app.run(s, "show isakmp policy=vpn", io)
        assert not s.failed
        await app.run(s, "set isakmp policy=vpn retryikeattempts=17", io)
        assert s.failed


async def test_the_release_notes_spelling_of_the_counters_command(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        # the release note writes `show isakmp counter=spd`; the issue `COUnters`: both read
        a = await t.run("show isakmp counter=spd")
        assert a.startswith("\nISAKMP Policy Counters\n") and a == await t.run("SHOW ISAKMP COUNTERS=SPD")


async def test_lab_is_listed_with_the_first_words(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        top = s.help_body("")
        assert "  lab " in top and "  SHow " in top and "  CREate " in top
        assert "  lab " in s.help_body("l") and "  lab " not in s.help_body("sh")
        assert "  lab " not in s.help_body("show ")


async def test_only_commands_that_move_tunnels_wait_for_the_world(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        for line in ("set isakmp policy=vpn msgtimeout=5", "ENABLE IPSEC", "destroy ipsec policy=vpn",
                     "add ip interface=eth1 ipaddress=10.0.0.1"):
            assert s.starts_exchanges(line), line
        for line in ("show isakmp sa", "set system name=x", "create config=a.cfg", "add user=a password=b",
                     "frobnicate", "logoff"):
            assert not s.starts_exchanges(line), line


async def test_security_mode_leaves_security_commands_to_the_security_officer(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert await t.run("enable system security_mode") == (
            "Error (3034111): A user with Security Officer privilege must exist first.\n")
        await t.run("add user=sec password=officer privilege=securityofficer")
        assert await t.run("ena sys sec") == "Info (1034003): Operation successful.\n"
        assert await t.run("set isakmp policy=vpn msgtimeout=5") == (
            "Error (3035021): Security Officer privilege is required in security mode.\n")
        assert await t.run("set system name=edge") == "Info (1034003): Operation successful.\n"
        assert "enable system security_mode" in await t.run("show config dynamic")
        so = Transcript(app, "sec", "ssh")
        assert so.session.prompt() == "SecOff edge> "
        assert await so.run("set isakmp policy=vpn msgtimeout=5") == "Info (1082003): Operation successful.\n"
        assert await t.run("disable system security_mode") == (
            "Error (3035021): Security Officer privilege is required in security mode.\n")
        assert await so.run("disable system security_mode") == "Info (1034003): Operation successful.\n"
        assert await t.run("set isakmp policy=vpn msgtimeout=4") == "Info (1082003): Operation successful.\n"


async def test_login_as_the_security_officer_who_can_then_leave_security_mode(mock_clock):
    """Review finding 2: with security mode on, the Manager console could not reach the
    Security Officer; LOGIN asks for a login name and password and changes the login."""
    async with lab(mock_clock) as app:
        t = Transcript(app)
        ok = "Info (1051003): Operation successful.\n"
        sysok = "Info (1034003): Operation successful.\n"
        assert await t.run("add user=sec password=officer privilege=securityofficer") == ok
        assert await t.run("enable system security_mode") == sysok
        assert await t.run("disable system security_mode") == (
            "Error (3035021): Security Officer privilege is required in security mode.\n")
        t.io.feed("sec", "wrong")
        assert await t.run("login") == "login: sec\nPassword: wrong\nLogin incorrect\n"
        assert t.session.prompt() == "Manager r1> "
        t.io.feed("SEC", "officer")
        assert await t.run("LOGIN") == "login: SEC\nPassword: officer\n"
        assert t.session.prompt() == "SecOff r1> " and t.session.user == "sec"
        assert await t.run("disable system security_mode") == sysok
        t.io.feed("manager", "friend")
        await t.run("login")
        assert t.session.prompt() == "Manager r1> "


async def test_login_to_user_level_limits_the_session(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("add user=ops password=secret privilege=user")
        t.io.feed("ops", "secret")
        await t.run("login")
        assert t.session.prompt() == "r1> "
        assert await t.run("destroy isakmp policy=vpn") == (
            "Error (3035020): Operation not permitted at the current privilege level.\n")
        # the servers' login checks the same table
        p = registry.get("alliedware")
        dev = app.devices["r1"] if hasattr(app, "devices") else t.session.device
        assert p.authenticate(dev, "OPS", "secret") and not p.authenticate(dev, "ops", "Secret")


async def test_smaller_review_items_of_the_command_language(mock_clock):
    """Review (smaller): `POLicy=?` lists the policies; a command word given again is
    "specified more than once"; `msgb=n` abbreviates NONE as `cont` does CONTINUOUS; a word
    that continues no command is unknown, not incomplete; an ISAKMP policy an IPsec policy
    uses cannot be destroyed."""
    async with lab(mock_clock) as app:
        t = Transcript(app)
        s = t.session
        assert s.help("sh isa pol=").endswith("  vpn                     ISAKMP policy\n")
        assert s.help("sh ips pol=v").endswith("  vpn                     IPsec policy\n")
        assert await t.run("show isakmp policy=vpn policy=vpn") == (
            "Error (3035005): Parameter POLICY specified more than once.\n")
        assert await t.run("set isakmp policy=vpn msgb=n") == "Info (1082003): Operation successful.\n"
        assert "Message Back-off .......................... None" in await t.run("show isakmp policy=vpn")
        assert await t.run("show bogus") == 'Error (3035001): Unknown command "bogus".\n'
        assert await t.run("show") == "Error (3035002): Incomplete command.\n"
        assert await t.run("destroy isakmp policy=vpn") == (
            "Error (3082107): ISAKMP policy vpn is used by IPsec policy vpn.\n")
        assert "vpn" in await t.run("show isakmp policy")
        assert await t.run("destroy ipsec policy=vpn") == "Info (1081003): Operation successful.\n"
        assert await t.run("destroy isakmp policy=vpn") == "Info (1082003): Operation successful.\n"


async def test_enable_and_disable_refuse_a_module_already_in_that_state(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        for module, label in (("isakmp", "ISAKMP"), ("ipsec", "IPsec"), ("ip", "IP")):
            assert f"{label} is already enabled." in await t.run(f"enable {module}")
            assert "Operation successful" in await t.run(f"disable {module}")
            assert f"{label} is already disabled." in await t.run(f"disable {module}")
            assert "Operation successful" in await t.run(f"enable {module}")

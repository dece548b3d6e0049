"""StarOS sessions on a lab: prompts with contexts, changes that apply at once, limits with the
device's one-line `Failure:` errors, the ASR 5500 `match ip pool` refusal, the Exec-mode manual
switchover, the DPD column, save configuration and its reload."""

from __future__ import annotations

import textwrap
from pathlib import Path

from routershell.labs.labfile import parse_lab
from routershell.platforms.staros import config_text
from routershell.platforms.staros.platform import PLATFORM
from tests.platforms.junos.harness import Transcript, lab

LAB = Path(__file__).parents[3] / "routershell" / "labs" / "staros-crypto-group.toml"


def small_lab(model: str, config: str) -> object:
    text = textwrap.dedent(f'''\
        [devices.asr]
        platform = "staros"
        model = "{model}"
        config = """{config}"""
        ''')
    return parse_lab(text, "t.toml")


async def test_prompts_follow_modes_and_contexts(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        s = t.session
        seen = [s.prompt()]
        for line in ("configure", "context ipsec", "crypto-group cg-auto", "exit",
                     "crypto map cmap-auto-pri ipsec-isakmp", "exit", "ikev1 policy 1", "exit",
                     "ipsec transform-set ts-aes", "exit", "ip access-list acl-pdn-a", "exit",
                     "interface wan", "end", "context ipsec"):
            await t.run(line)
            seen.append(s.prompt())
    assert seen == [
        "[local]asr5k# ", "[local]asr5k(config)# ", "[ipsec]asr5k(config-ctx)# ",
        "[ipsec]asr5k(config-crypto-group)# ", "[ipsec]asr5k(config-ctx)# ",
        "[ipsec]asr5k(cfg-crypto-isakmp-map)# ", "[ipsec]asr5k(config-ctx)# ",
        "[ipsec]asr5k(cfg-ctx-ikev1-isakmp-policy)# ", "[ipsec]asr5k(config-ctx)# ",
        "[ipsec]asr5k(cfg-crypto-tform-ipsec-mode)# ", "[ipsec]asr5k(config-ctx)# ",
        "[ipsec]asr5k(config-acl)# ", "[ipsec]asr5k(config-ctx)# ", "[ipsec]asr5k(config-if-eth)# ",
        "[local]asr5k# ", "[ipsec]asr5k# "]


async def test_a_line_of_the_enclosing_mode_runs_there(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "crypto-group cg-auto"):
            await t.run(line)
        assert await t.run("crypto-group cg-x") == ""  # a context command: back to the context, in
        assert t.session.prompt() == "[ipsec]asr5k(config-crypto-group)# "
        assert t.session.context["group"] == "cg-x"


async def test_the_33rd_crypto_group_of_a_context_is_refused_and_nothing_changes(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("context ipsec")
        for i in range(30):  # the lab has 2
            assert await t.run(f"crypto-group g{i}") == ""
            await t.run("exit")
        before = None
        cfg = app.devices["asr5k"].driver.config
        text = config_text.render(cfg)
        out = await t.run("crypto-group g30")
        assert out == "Failure: Maximum of 32 crypto groups per context already configured\n"
        assert t.session.prompt() == "[ipsec]asr5k(config-ctx)# "
        assert config_text.render(cfg) == text and len(cfg.contexts["ipsec"].groups) == 32
        assert await t.run("crypto-group cg-auto") == ""  # an existing one can still be entered
        await t.run("exit")
        # the limit is per context
        await t.run("exit")
        await t.run("context other")
        assert await t.run("crypto-group g30") == ""
        assert before is None


async def test_match_ip_pool_is_refused_in_a_crypto_group_on_an_asr_5500(mock_clock):
    cfg = "config\n  context c\n    ip pool p 10.9.0.0 255.255.0.0 private\n  #exit\nend\n"
    for model, expect in (("ASR 5500", "Failure: match ip pool is not supported within a crypto group on the ASR 5500\n"),
                          ("ASR 5000", "")):
        async with lab(mock_clock, lab=small_lab(model, cfg)) as app:
            t = Transcript(app)
            for line in ("configure", "context c", "crypto-group g"):
                await t.run(line)
            assert await t.run("match ip pool pool-name p") == expect
            pool = app.devices["asr"].driver.config.contexts["c"].groups["g"].pool
            assert pool == (None if expect else "p")


async def test_an_asr_5500_reports_a_startup_match_ip_pool_and_loads_the_rest(mock_clock):
    cfg = ("config\n  context c\n    ip pool p 10.9.0.0 255.255.0.0 private\n    crypto-group g\n"
           "      match ip pool pool-name p\n      switchover auto\n    #exit\n  #exit\nend\n")
    async with lab(mock_clock, lab=small_lab("ASR 5500", cfg)) as app:
        dev = app.devices["asr"]
        g = dev.driver.config.contexts["c"].groups["g"]
        assert g.pool is None and g.switchover == "auto"
        assert any("line 5: Failure: match ip pool is not supported" in ln.text for ln in dev.log)


async def test_a_group_has_one_primary_and_one_secondary_map(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "crypto map extra ipsec-isakmp"):
            await t.run(line)
        assert await t.run("match crypto-group cg-auto secondary") == \
            "Failure: crypto group cg-auto already has a secondary crypto map (cmap-auto-sec)\n"
        assert await t.run("match crypto-group cg-nosuch primary") == \
            "Failure: crypto group cg-nosuch does not exist\n"
        # moving the existing primary to secondary is refused too: the slot is taken
        await t.run("exit")
        await t.run("crypto map cmap-auto-pri ipsec-isakmp")
        assert (await t.run("match crypto-group cg-auto secondary")).startswith("Failure: ")


async def test_changes_apply_at_once(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("context ipsec")
        assert "Switchover: auto (revert to primary)" in await t.run("show crypto group name cg-auto")
        for line in ("configure", "context ipsec", "crypto-group cg-auto", "switchover auto do-not-revert", "end"):
            await t.run(line)
        await t.run("context ipsec")
        assert "Switchover: auto do-not-revert (manual return)" in await t.run("show crypto group name cg-auto")
        grp = app.devices["asr5k"].driver.groups.group("ipsec", "cg-auto")
        assert grp.ctl.policy.revert is False


async def test_manual_switchover_is_an_exec_command_of_the_groups_context(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        assert await t.run("crypto-group cg-auto switchover") == "Failure: crypto group cg-auto does not exist\n"
        await t.run("context ipsec")
        await t.run("lab clock advance 30s")
        assert await t.run("crypto-group cg-auto switchover") == ""
        out = await t.run("show crypto group name cg-auto")
        assert "Secondary map cmap-auto-sec  Peer 192.0.2.20       Tunnel state: UP         Active" in out
        assert "Last switchover: Thu Jan 01 00:00:30 2026 cmap-auto-pri -> cmap-auto-sec (manual)" in out
        hist = await t.run("show snmp trap history")
        assert "There are 1 historical trap records" in hist
        assert "9005 (CryptoGroupFailoverSuccess) context ipsec crypto-group cg-auto crypto-map cmap-auto-sec" in hist


async def test_peer_without_dpd_shows_no_in_the_dpd_column(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("context ipsec")
        rows = {ln.split()[1]: ln.split()[4] for ln in (await t.run(
            "show crypto isakmp security-associations summary")).splitlines()[1:-1]}
    assert rows == {"192.0.2.10": "Yes", "192.0.2.20": "Yes", "192.0.2.30": "Yes", "192.0.2.40": "No"}


async def test_save_configuration_writes_a_file_that_loads_back(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        dev = app.devices["asr5k"]
        assert await t.run("save configuration /flash/system.cfg") == ""
        saved = (dev.home / "flash" / "system.cfg").read_text()
        assert "lab-secret" not in saved and "set ike pre-shared-key encrypted +" in saved
        assert PLATFORM.check_startup(saved) is None
        again = config_text.replay(saved, "ASR 5000")
        assert config_text.render(again) == saved
        assert again.contexts["ipsec"].maps["cmap-auto-pri"].psk == "lab-secret"
        # overwriting asks first; -noconfirm does not
        out = await t.run("save configuration /flash/system.cfg", answers=["no"])
        assert out.startswith("Warning: About to overwrite the file. Are you sure? [Yes|No]: ")
        assert out.endswith("Action aborted by user\n")
        assert await t.run("save configuration /flash/system.cfg -noconfirm") == ""
        out = await t.run("save configuration /../../etc/x.cfg -noconfirm")
        assert out.startswith("Failure: Unable to save configuration")


async def test_show_configuration_hides_the_key_and_shows_one_context(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        full = await t.run("show configuration")
        one = await t.run("show configuration context ipsec")
        assert "snmp target lab-nms 127.0.0.1 port 1162" in full and "snmp target" not in one
        assert "lab-secret" not in full
        assert one.startswith("config\n  context ipsec\n") and one.endswith("  #exit\nend\n")
        assert await t.run("show configuration context nosuch") == "Failure: context nosuch does not exist\n"


async def test_startup_errors_name_the_line():
    assert PLATFORM.check_startup("config\n  context c\n    crypto-grop g\nend\n") == \
        (3, "Invalid syntax.: crypto-grop g")
    assert PLATFORM.check_startup("config\n  context c\n    crypto map m ipsec-isakmp\n"
                                  "      match crypto-group nosuch primary\nend\n") == \
        (4, "Failure: crypto group nosuch does not exist")


async def test_clear_commands_apply_a_pending_dpd_change_once_every_tunnel_is_cleared(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("context ipsec", "configure", "context ipsec",
                     "ikev1 keepalive dpd interval 20 timeout 10 num-retry 2", "end"):
            await t.run(line)
        out = await t.run("show crypto group name cg-auto")
        assert "  DPD: interval 30s timeout 10s num-retry 3 (configured change pending: 4 tunnels to clear)\n" in out
        assert await t.run("clear crypto isakmp tag cmap-auto-pri") == ""
        out = await t.run("show crypto group name cg-auto")
        assert "(configured change pending: 3 tunnels to clear)" in out
        detail = await t.run("show crypto isakmp security-associations")
        assert detail.count("DPD: Yes (interval 20s timeout 10s num-retry 2)") == 0  # not before all are cleared
        assert await t.run("clear crypto security-association peer 192.0.2.20") == ""
        assert "(configured change pending: 2 tunnels to clear)" in await t.run("show crypto group name cg-auto")
        assert await t.run("clear crypto security-association") == ""
        await t.run("lab clock advance 5s")
        out = await t.run("show crypto group")
        assert out.count("  DPD: interval 20s timeout 10s num-retry 2\n") == 2 and "pending" not in out
        detail = await t.run("show crypto isakmp security-associations")
        assert detail.count("DPD: Yes (interval 20s timeout 10s num-retry 2)") == 3
        assert detail.count("DPD: No (the peer does not support RFC 3706)") == 1
        # every tunnel came back; auto and (having waited on a down secondary) manual on the primary
        summary = await t.run("show crypto group summary")
        assert "Groups in primary: 2" in summary and "NEGOTIATING" not in summary
        history = await t.run("show snmp trap history")
        assert "9001 (CryptoGroupPriTunnelDown) context ipsec crypto-group cg-auto crypto-map cmap-auto-pri" in history


async def test_the_labs_objectives_pass_after_the_primaries_returned(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        assert "1 of 2 objectives passed." in await t.run("lab grade")  # cg-manual on its primary
        await t.run("lab clock advance 11m")
        assert "2 of 2 objectives passed." in await t.run("lab grade")
        assert t.session.prompt() == "[local]asr5k# "  # a person still logs in to local


async def test_with_persistent_state_the_device_boots_from_its_saved_configuration(mock_clock, tmp_path):
    async with lab(mock_clock, lab=LAB, state_dir=tmp_path) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "crypto-group cg-saved", "end"):
            await t.run(line)
        assert await t.run("save configuration /flash/system.cfg") == ""
        for line in ("configure", "context ipsec", "crypto-group cg-unsaved", "end"):
            await t.run(line)
    async with lab(mock_clock, lab=LAB, state_dir=tmp_path) as app:
        groups = app.devices["asr5k"].driver.config.contexts["ipsec"].groups
        assert "cg-saved" in groups and "cg-unsaved" not in groups
    async with lab(mock_clock, lab=LAB) as app:  # without state: the lab's startup file
        assert "cg-saved" not in app.devices["asr5k"].driver.config.contexts["ipsec"].groups


async def test_grep_takes_the_rest_of_the_line_with_its_options(mock_clock):
    """Review finding 5: `| grep -i key` was refused (one word only) and `|` inside the
    pattern started another pipe."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("context ipsec")
        summary = "show crypto group summary"
        assert [ln.split()[0] for ln in (await t.run(f"{summary} | grep -i CG-AUTO")).splitlines()] == ["cg-auto"]
        both = await t.run(f"{summary} | grep cg-auto|cg-manual")
        assert [ln.split()[0] for ln in both.splitlines()] == ["cg-auto", "cg-manual"]
        rest = await t.run(f"{summary} | grep -v cg-")
        assert rest and "cg-" not in rest and "Crypto Group Summary" in rest
        assert await t.run(f"{summary} | grep -w primar") == ""
        assert len((await t.run(f"{summary} | grep primar")).splitlines()) == 4


def test_tunnel_down_and_failed_failover_are_logged_as_errors():
    """Review finding 11: the seed calls "Primary Tunnel is down" (and the secondary's, and an
    unsuccessful fail-over) an error condition; the log said info."""
    from routershell.engine.cryptogroup import Condition
    from routershell.platforms.staros.traps import Notification

    def line(c: Condition) -> str:
        return Notification(0.0, c, "ipsec", "cg", "m", "192.0.2.1").log_line()

    for c in (Condition.PRIMARY_DOWN, Condition.SECONDARY_DOWN, Condition.FAILOVER_UNSUCCESSFUL):
        assert line(c).startswith("[ipsec 55001 error] "), c
    for c in (Condition.PRIMARY_UP, Condition.SECONDARY_UP, Condition.FAILOVER_SUCCESSFUL):
        assert line(c).startswith("[ipsec 55001 info] "), c


async def test_match_address_of_an_unknown_access_list_is_refused(mock_clock):
    """Review finding 6: `match address nosuch` was accepted in a crypto group and flapped
    both tunnels; `match ip pool pool-name nosuch` was already refused."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "crypto-group cg-auto"):
            await t.run(line)
        out = await t.run("match address nosuch")
        assert "Failure: access list nosuch does not exist" in out
        await t.run("exit")
        await t.run("crypto map cmap-auto-pri ipsec-isakmp")
        assert "Failure: access list nosuch does not exist" in await t.run("match address nosuch")
        assert await t.run("match address acl-pdn-a") == ""
        await t.run("end")
        await app.world.clock.advance(60)
        await t.run("context ipsec")
        assert "Switchovers" in (summary := await t.run("show crypto group summary"))
        assert [ln.split()[-1] for ln in summary.splitlines() if ln.startswith("cg-")] == ["0", "0"]


async def test_an_ikev1_policy_change_is_for_new_negotiations_only(mock_clock):
    """Review finding 9: changing `ikev1 policy` tore down every tunnel of the context at once
    (fail-over and Unsuccessful fail-over traps). Running tunnels stay; the next negotiation
    offers the new policy (the lab peers refuse md5, so after a clear nothing comes up)."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("context ipsec")
        sas = await t.run("show crypto isakmp security-associations")
        for line in ("configure", "context ipsec", "ikev1 policy 1", "hash md5", "end", "context ipsec"):
            await t.run(line)
        await app.world.clock.advance(60)
        assert "There are 0 historical trap records" in await t.run("show snmp trap history")
        cookies = [ln for ln in sas.splitlines() if "cookie" in ln]
        assert cookies and cookies == [ln for ln in (await t.run(
            "show crypto isakmp security-associations")).splitlines() if "cookie" in ln]
        assert "hash md5" in await t.run("show configuration")
        await t.run("clear crypto isakmp")
        await app.world.clock.advance(30)
        assert "No ISAKMP SAs in this context." in await t.run("show crypto isakmp security-associations")


async def test_the_lab_files_try_list_starts_in_the_right_context(mock_clock):
    """Review (smaller): the Try list did not say `context ipsec` first, so its shows found no
    groups in context local."""
    text = LAB.read_text()
    comment = " ".join(ln[2:] for ln in text.splitlines() if ln.startswith("# "))
    tried = comment[comment.index("Try"):].split(":", 1)[1].split(".")[0].split(" / ")
    tried = [" ".join(x.split()) for x in tried]
    assert tried[0] == "context ipsec"
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in tried:
            out = await t.run(line)
            # (the switchover may be refused: at 00:04:00 cg-manual's primary is down)
            assert "Invalid syntax" not in out and "No crypto" not in out, (line, out)


async def test_do_show_in_configuration_modes_sees_the_context_being_configured(mock_clock):
    """Review (smaller): `do show …` was missing in configuration modes."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "crypto-group cg-auto"):
            await t.run(line)
        out = await t.run("do show crypto group summary")
        assert "cg-auto" in out and "cg-manual" in out
        assert t.session.prompt() == "[ipsec]asr5k(config-crypto-group)# "
        assert t.session.exec_context == "local"
        bad = await t.run("do sh bogus")
        assert bad.endswith("Invalid syntax.\n") and bad.index("^") == len(t.session.prompt()) + len("do sh ")


async def test_no_forms_in_ikev1_policy_mode_restore_the_defaults(mock_clock):
    """Review (smaller): `ikev1 policy` mode had no `no` command."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("configure", "context ipsec", "ikev1 policy 1"):
            await t.run(line)
        for line in ("no encryption", "no lifetime", "no hash", "no group"):
            assert await t.run(line) == "", line
        pol = app.devices["asr5k"].driver.config.contexts["ipsec"].ike_policies[1]
        assert (pol.encryption, pol.lifetime, pol.hash, pol.group) == ("3des-cbc", 86400, "sha1", 2)


async def test_save_configuration_needs_a_url(mock_clock):
    """Review (smaller): `save configuration` with no URL succeeded silently (writing a file
    the person never named); the URL is mandatory as in the syntax."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        assert await t.run("save configuration") == "Incomplete command.\n"
        assert await t.run("save configuration -noconfirm") == "Incomplete command.\n"
        assert not (app.devices["asr5k"].home / "flash" / "system.cfg").exists()

"""StarOS logins: `administrator NAME [encrypted] password SECRET` in context local is who may
log in (the servers' `authenticate`); `show configuration` prints the password as `***`,
`showsecrets` and `save configuration` keep its encrypted form so a saved file loads again."""

from __future__ import annotations

from pathlib import Path

from routershell.platforms.staros import config_text
from routershell.platforms.staros.platform import PLATFORM
from tests.platforms.junos.harness import Transcript, lab

LAB = Path(__file__).parents[3] / "routershell" / "labs" / "staros-crypto-group.toml"


async def test_the_lab_administrator_logs_in_and_nobody_else(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        dev = app.devices["asr5k"]
        assert PLATFORM.authenticate(dev, "admin", "starent")
        assert not PLATFORM.authenticate(dev, "admin", "starent ")
        assert not PLATFORM.authenticate(dev, "admin", "")
        assert not PLATFORM.authenticate(dev, "admin", None)
        assert not PLATFORM.authenticate(dev, "nobody", "starent")


async def test_configured_administrators_take_effect_at_once(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        dev = app.devices["asr5k"]
        t = Transcript(app)
        for line in ("configure", "context local", "administrator ops password n0c-pass",
                     "administrator keys nopassword", "end"):
            assert await t.run(line) == "", line
        assert PLATFORM.authenticate(dev, "ops", "n0c-pass")
        assert not PLATFORM.authenticate(dev, "keys", "")  # nopassword: key logins only
        # an administrator of another context does not log in to the chassis
        for line in ("configure", "context ipsec", "administrator ctxadmin password x1", "end"):
            assert await t.run(line) == "", line
        assert not PLATFORM.authenticate(dev, "ctxadmin", "x1")
        await t.run("configure")
        await t.run("context local")
        assert await t.run("no administrator ops") == ""
        assert await t.run("no administrator ops") == \
            "Failure: administrator ops does not exist\n"
        await t.run("end")
        assert not PLATFORM.authenticate(dev, "ops", "n0c-pass")


async def test_bad_administrator_lines_get_the_device_errors(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("context local")
        assert await t.run("administrator x") == \
            "Failure: Specify a password, or nopassword for SSH public-key logins only\n"
        assert await t.run("administrator x nopassword password y") == \
            "Failure: password and nopassword cannot be used together\n"
        assert await t.run("administrator x encrypted password ***") == \
            "Failure: Invalid encrypted password\n"
        assert await t.run("administrator x password " + "p" * 64) == \
            "Failure: The password must be 1 to 63 characters\n"
        assert "x" not in app.devices["asr5k"].driver.config.contexts["local"].administrators


async def test_show_configuration_hides_the_password_save_keeps_it_encrypted(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        dev = app.devices["asr5k"]
        t = Transcript(app)
        shown = await t.run("show configuration")
        assert "  context local\n    administrator admin encrypted password ***\n  #exit\n" in shown
        assert "starent" not in shown
        secrets = await t.run("show configuration showsecrets")
        line = next(ln for ln in secrets.splitlines() if "administrator admin" in ln)
        token = line.split()[-1]
        assert token.startswith("+") and config_text.decrypt(token) == "starent"
        assert "starent" not in secrets
        assert await t.run("save configuration /flash/system.cfg -noconfirm") == ""
        saved = (dev.home / "flash" / "system.cfg").read_text()
        assert line in saved.splitlines()
        again = config_text.replay(saved, "ASR 5000")
        assert again.contexts["local"].administrators["admin"].password == "starent"

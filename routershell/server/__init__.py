"""Served sessions: SSH (asyncssh, with exec channels and the NETCONF subsystem) and telnet.

One process serves every device of the lab: asyncio owns the sockets (asyncssh, the telnet
protocol), trio runs the lab as a guest in the same thread (shell/guest.py), and each
connection gets its own CLI session from the device's platform. Nothing here names a vendor:
login prompts, authentication and the NETCONF dialect come from the platform (platforms/base.py).
"""

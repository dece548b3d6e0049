"""routershell: a terminal router-shell emulator over a simulated IPsec world."""

import logging as _logging
import os as _os

# A device never shows a traceback: internal errors are logged, and the log goes nowhere unless
# ROUTERSHELL_DEBUG asks for it (otherwise logging's last-resort handler would print to stderr).
_log = _logging.getLogger("routershell")
if _os.environ.get("ROUTERSHELL_DEBUG"):
    _log.addHandler(_logging.StreamHandler())
    _log.setLevel(_logging.DEBUG)
else:
    _log.addHandler(_logging.NullHandler())
    _log.propagate = False

"""`python -m routershell`: the same as the `routershell` console script."""

import sys

from routershell.main import main

sys.exit(main())

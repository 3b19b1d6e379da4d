"""`python -m training_operator.local`: the CLI, used by `daemon.ensure_running` to start a cluster."""

import sys

from training_operator.local.cli import main

sys.exit(main())

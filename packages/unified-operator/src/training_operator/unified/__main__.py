"""`python -m training_operator.unified`: the `training-operator` CLI (how `local run` starts its daemon)."""

import sys

from training_operator.unified.cli import main

sys.exit(main())

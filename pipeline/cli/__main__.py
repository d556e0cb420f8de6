"""``python -m pipeline.cli`` runs the ``rolcov`` command."""

import sys

from pipeline.cli.main import main

sys.exit(main())

"""`python -m ingest PATH...`: the same as `visapath ingest PATH...`."""

import sys

from visapath.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))

import sys

from visapath.cli import main

sys.exit(main())

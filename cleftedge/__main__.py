import sys

from cleftedge.cli import main

sys.exit(main())

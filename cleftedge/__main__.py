import sys

from cleftedge.cli import main

try:
    sys.exit(main())
except KeyboardInterrupt:  # a signal that lands outside main()'s own handler still exits as interrupted
    print("cleftedge: interrupted", file=sys.stderr)
    sys.exit(130)

"""Starts moto's server for the deploy tests: `python moto-server.py -H 127.0.0.1 -p PORT`.

A launcher of our own, rather than the `moto_server` script, so that the test setup can adjust
moto before it serves (see the comments where it does).
"""

import sys

from moto.server import main

if __name__ == "__main__":
    sys.exit(main())

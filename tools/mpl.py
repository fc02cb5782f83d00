"""mpl.py — matplotlib for the plotting tools, headless (Agg backend).

pyplot() returns matplotlib.pyplot. When the python3 running the tool has no
matplotlib (the python3 on PATH may be another one than Debian's, which apt's
python3-matplotlib is for), the tool runs itself again under /usr/bin/python3
before giving up with a one-line message."""
import os
import sys


def pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError as e:
        debian = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(debian) \
                and os.access(debian, os.X_OK):
            os.execv(debian, [debian, os.path.abspath(sys.argv[0])] + sys.argv[1:])
        sys.exit(f"{os.path.basename(sys.argv[0])}: matplotlib is missing ({e}); "
                 "Debian: apt-get install python3-matplotlib")

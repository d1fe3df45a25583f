"""Tools that drive the whole toolchain on a build host: `demo` (every step through the CLI, what
`cleftedge demo` and `make demo` run), `wheelhouse` (what a cart installs, pinned: `make wheelhouse`,
`python -m cleftedge.tools.wheelhouse`), and `mjpeg_server` (a loopback MJPEG camera that can be
unplugged: the HTTP-source tests and the soak benchmark share it). Nothing in the other rooms imports them."""

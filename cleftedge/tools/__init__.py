"""Tools that drive the whole toolchain on a build host: `demo` (every step through the CLI, what
`cleftedge demo` and `make demo` run) and `wheelhouse` (what a cart installs, pinned: `make wheelhouse`,
`python -m cleftedge.tools.wheelhouse`). Nothing in the other rooms imports them."""

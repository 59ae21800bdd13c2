"""An emulator of the WeCom endpoints this project calls, for development, demos and tests.

`server.SandboxServer` serves it over HTTP; `state.Sandbox` holds what it knows; the WeCom
rules live in `meetings` and `calendars`, the errcodes they answer with in `errors`.
Nothing in this package imports Django: the tests and the demo start it without settings.
"""

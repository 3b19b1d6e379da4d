"""`training-operator dashboard`: a live, read-only web view of jobs, their pods over time and their logs.

`command` registers the CLI command (and imports nothing heavy); `server` serves the pages and the token
check; `streams` pushes watch-driven updates to them; `feeds` keeps the watched objects; `views` and
`timeline` turn objects into what the pages show (pure); `static/` holds the pages themselves.
"""

"""The command line's exit codes, shared by every command's module (75, a warehouse locked, is the lock's own)."""

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped

import os
import signal


# --------------------------------------------------------------------------
# Ctrl-C: stop after the current step, with a checkpoint (exit 130)
# --------------------------------------------------------------------------

class StopRequest:
    """SIGINT (Ctrl-C) or SIGTERM sets a flag that the loop reads after each step. On one process a second
    one aborts at once (the last complete checkpoint stays); under torchrun the agent relays the terminal's
    Ctrl-C as a second SIGINT, so repeats are ignored there (the agent SIGKILLs after 30 s)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, abort_on_repeat):
        self.requested = False
        self.abort_on_repeat = abort_on_repeat
        self.previous = {}

    def __enter__(self):
        for s in self.SIGNALS:
            self.previous[s] = signal.signal(s, self.handle)
        return self

    def __exit__(self, *exc):
        # After a stop request the process is on its way out with 130: a repeat during the last writes
        # must still end it quietly, not as a KeyboardInterrupt (or death by SIGINT) from the old handler.
        if self.requested:
            return
        for s, handler in self.previous.items():
            signal.signal(s, handler)

    def handle(self, signum, frame):
        if self.requested and self.abort_on_repeat:
            say(f'{prog()}: aborted; the last complete checkpoint is kept')
            os._exit(EXIT_INTERRUPTED)
        first, self.requested = not self.requested, True
        if first and os.environ.get('RANK', '0') == '0':
            say(f'{prog()}: stopping after this step ({"Ctrl-C again to abort" if self.abort_on_repeat else "all processes"})…')

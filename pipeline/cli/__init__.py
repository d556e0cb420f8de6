"""The ``rolcov`` command: parses arguments and composes the stages; nothing else imports it."""

"""``python -m relx``: the same CLI as the ``relx`` command."""

from relx.cli._app import main

if __name__ == "__main__":
    main()

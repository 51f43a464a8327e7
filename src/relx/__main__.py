"""``python -m relx``: the same CLI as the ``relx`` command."""

from relx.cli import main

if __name__ == "__main__":
    main()

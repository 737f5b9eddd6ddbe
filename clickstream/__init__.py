"""The ``clickstream`` command line: a thin entry point over what ships and what runs only locally.

Each subcommand is a click command that lives beside the code it runs (``transform_runner.command``,
``local_only.serve``, ...) and is imported only when called (``clickstream.cli``). The commands whose code has no
other home live here: ``db`` (migrations), ``load`` (the loader on a store), ``schema`` and ``dashboard``.
"""

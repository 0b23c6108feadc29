"""Old spellings kept working for one release, each with a ``DeprecationWarning`` (a leaf).

Kinds, one helper each:

- :func:`warn`: the message, pointing at the caller's line.
- :func:`renamed`: a keyword argument that has a new name (``mdp=`` -> ``env=``).
- :func:`keyword_only`: arguments that became keyword-only (``value_iteration(env, 0.9)``).
- :func:`reordered`: positional arguments whose order changed, told apart by a test on the value
  that moved (``rng_state`` of :mod:`fastq.core`).
- :func:`moved`: a name that moved to another module, still readable at its old home.  The old
  module never imports the new one (that would bring back an import cycle): the package root,
  which imports both, installs the alias with a module ``__getattr__`` (PEP 562).

Every deprecated spelling is listed in ``docs/architecture.md`` with the release that removes it.
"""

from __future__ import annotations

import functools
import inspect
import warnings

#: The release that removes the spellings deprecated in this one.
REMOVED_IN = "0.3"


def warn(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new``."""
    warnings.warn(f"{old} is deprecated and will be removed in fastq {REMOVED_IN}; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def renamed(function=None, /, **old_to_new):
    """Decorator: accept the old keyword names of ``function``'s arguments, with a warning.

    >>> @renamed(n="agents")
    ... def f(agents):
    ...     return agents
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(n=3), caught[0].category.__name__
    (3, 'DeprecationWarning')
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {new!r} and its old name {old!r}")
                    warn(f"{func.__name__}({old}=...)", f"{new}=...")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate if function is None else decorate(function)


def keyword_only(*names):
    """Decorator: ``names`` became keyword-only; positional values for them still work, with a
    warning.

    >>> @keyword_only("gamma")
    ... def solve(env, *, gamma=0.99):
    ...     return gamma
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     solve("x", 0.5), len(caught)
    (0.5, 1)
    """
    def decorate(func):
        positional = [p for p in inspect.signature(func).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            extra = args[len(positional):]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(f"{func.__name__}() takes {len(positional)} positional arguments, got {len(args)}")
                moved_names = names[:len(extra)]
                for name in moved_names:
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for argument {name!r}")
                warn(f"passing {', '.join(moved_names)} to {func.__name__}() by position",
                     ", ".join(f"{n}=..." for n in moved_names))
                kwargs.update(zip(moved_names, extra))
                args = args[:len(positional)]
            return func(*args, **kwargs)

        return wrapper

    return decorate


def reordered(old_order: tuple, moved: str, test):
    """Decorator: the positional order of the arguments changed from ``old_order``; a call is in
    the old order when its ``moved`` argument fails ``test`` in the new order and passes it in
    the old one.  Such calls still work, with a warning.
    """
    def decorate(func):
        new = inspect.signature(func)
        params = new.parameters
        rest = [p for name, p in params.items() if name not in old_order]
        old = new.replace(parameters=[params[n] for n in old_order] + rest)

        def binds(signature, args, kwargs):
            try:
                return signature.bind(*args, **kwargs).arguments
            except TypeError:
                return None

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            now = binds(new, args, kwargs)
            if now is None or not test(now.get(moved)):
                before = binds(old, args, kwargs)
                if before is not None and test(before.get(moved)):
                    warn(f"{func.__name__}({', '.join(old_order)})",
                         f"{func.__name__}({', '.join(n for n in params if n in old_order)})")
                    return func(**before)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def moved(module, names: dict) -> None:
    """Make ``module.<old>`` return ``names[old] = (value, "its new spelling")`` with a warning.

    Installs (or extends) the module's ``__getattr__``; names the module still defines are not
    affected.
    """
    aliases = getattr(module, "_DEPRECATED_ALIASES", None)
    if aliases is None:
        aliases = module._DEPRECATED_ALIASES = {}
        previous = module.__dict__.get("__getattr__")

        def __getattr__(name):
            if name in aliases:
                value, new = aliases[name]
                warn(f"{module.__name__}.{name}", new)
                return value
            if previous is not None:
                return previous(name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__
    aliases.update(names)

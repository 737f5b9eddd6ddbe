"""Country names for the ISO 3166-1 alpha-2 codes the marts hold, in English, from the Unicode CLDR (through
Babel, the locale data agate already brought in, now a declared dependency): kept up to date by the Unicode
Consortium, and names as people say them ("Vietnam", "United Kingdom")."""

from __future__ import annotations

from babel import Locale

_TERRITORIES: dict[str, str] = dict(Locale("en").territories)


def country_name(code: str) -> str:
    """The name of `code`; a value that is no country code ("(not set)", a code CLDR lacks) as it is."""
    return _TERRITORIES.get(code.upper(), code) if len(code) == 2 and code.isalpha() else code

"""The languages people read us in: gettext catalogs for the words, CLDR (through Babel) for money, numbers,
dates and plurals, and which language a reader gets."""

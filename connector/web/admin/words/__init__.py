"""The admin pages' words: the general ones (``en``, ``tr``) and the programme editor's (``programme_en``,
``programme_tr``), one dictionary per language."""

"""The rewards page's content (``view``, ``programme_words``) and the way members sign in to it (``sign_in``)."""

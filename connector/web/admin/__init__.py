"""The admin: JSON API, pages, login and sessions, charts and the pages' words."""

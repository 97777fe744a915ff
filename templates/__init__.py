"""kb's built-in site theme (Jinja templates + static/), installed as the package `kb.theme`.

Copy any file into your project's own templates/ folder to override it by name; extend the
built-in one from there with `{% extends "theme/base.html" %}`.
"""

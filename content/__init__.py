"""The bundled example content, installed with the bot as the ``exercise_bot_content`` package.

This folder is the source of truth; pyproject.toml maps it to that package so the wheel
carries it and ``bot.content.loader.bundled_content_dir`` finds it from any working
directory. The bot reads only the YAML files. A clinic's own content folder (CONTENT_DIR)
does not need this file.
"""

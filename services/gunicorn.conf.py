"""Gunicorn settings, read automatically from the working directory (/app in the image).

preload_app: the application module (and so the configuration check) is loaded
once in the master before forking.  A missing or invalid variable then stops
gunicorn itself with exit code 2 and one line on stderr; without preloading,
each worker would exit and gunicorn would respawn it forever.  No connection is
opened at import time, so forking after the import is safe.
"""

preload_app = True

"""The class store: what students did, kept in a real database so that a reload, a second tab or a
server restart loses nothing, and the teacher can see the whole class.

* ``schema``: the tables (SQLAlchemy Core) and their migrations, applied by the app itself;
* ``codec``: a finished run to a row and back (curves as JSON, weights as safetensors, never a
  pickle), a stored row that does not parse skipped with a note;
* ``database``: ``Store``, every read and write the app makes, each a short transaction, retried
  when SQLite says "database is locked"; ``open_store`` picks SQLite (default) or PostgreSQL
  (``CNNLAB_DB``) and falls back to a store in memory, with one line saying nothing is saved.

A student is known by a random token their browser keeps (``ui.identity``); the store keeps only
its SHA-256, so the database holds no key to anyone's data, and every query a student's page
makes is bound to that student's id.
"""

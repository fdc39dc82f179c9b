"""Set-based inserts for the dunning's own models, where the ORM is too slow at scale.

A run over tens of thousands of rent calls creates one line per lease and several
reminders per line. Creating them one ORM record at a time costs about a millisecond each;
:func:`bulk_insert` writes them with one ``INSERT ... SELECT unnest(...)`` per chunk.
Only plain stored fields may be given (no computed, related-only, x2many or translated
field): callers pass every stored value themselves.
"""

from odoo import fields
from odoo.tools import SQL

CHUNK = 5000


def bulk_insert(model, rows, on_conflict=None):
    """Insert ``rows`` (dicts of field name -> Python value) into ``model``'s table.

    Returns the new ids in the order of ``rows`` (rows skipped by ``on_conflict``, an
    ``SQL`` clause such as ``ON CONFLICT (idempotency_key) DO NOTHING``, are left out, so
    only use the order when no conflict is possible). The ORM cache of the model is
    invalidated; the caller browses the ids it needs.
    """
    if not rows:
        return []
    env = model.env
    names = sorted(rows[0])
    for name in names:
        field = model._fields[name]
        if not field.store or field.type in ("one2many", "many2many") or field.translate:
            raise ValueError(f"{model._name}.{name} cannot be bulk inserted")
    now = fields.Datetime.now()
    uid = env.uid
    columns = names + ["create_uid", "write_uid", "create_date", "write_date"]
    types = [model._fields[name].column_type[0] for name in names] + [
        "int4", "int4", "timestamp", "timestamp"
    ]
    env.flush_all()
    ids = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        arrays = [[row[name] for row in chunk] for name in names]
        arrays += [[uid] * len(chunk), [uid] * len(chunk), [now] * len(chunk), [now] * len(chunk)]
        casts = SQL(", ").join(
            SQL("%s::" + sql_type.replace("varchar", "text") + "[]", values)
            for sql_type, values in zip(types, arrays, strict=True)
        )
        env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT * FROM unnest(%s) %s RETURNING id",
                SQL.identifier(model._table),
                SQL(", ").join(SQL.identifier(column) for column in columns),
                casts,
                on_conflict or SQL(),
            )
        )
        ids += [row[0] for row in env.cr.fetchall()]
    model.invalidate_model()
    return ids

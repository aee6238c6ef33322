"""Deployment safety: the audit log becomes a sealed chain, and demo passwords leave the database.

* ``audit_event.prev_hash`` / ``audit_event.hash`` (see ``mosaics_match/store/audit_chain.py``) and a unique index on
  ``prev_hash``, so two events can never follow the same predecessor. Events already in the log stay unsealed:
  sealing them now would vouch for history nobody checked; the verifier reports them as older events.
* ``app_state['audit_chain_head']``, the row writers lock while they seal (empty until the first sealed event).
* ``app_state['demo_passwords']`` (the demo accounts' passwords in plain text) is deleted: demo passwords are now
  derived from the session secret and never stored (``mosaics_match/services/demo.py``).

Columns are added and dropped in place, never by rebuilding the table, so the append-only triggers of the first
migration stay attached on SQLite.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_app_state = sa.table('app_state', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.add_column('audit_event', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_event', sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_index('ux_audit_event_prev_hash', 'audit_event', ['prev_hash'], unique=True)
    op.execute(_app_state.delete().where(_app_state.c.key.in_(['audit_chain_head', 'demo_passwords'])))
    op.execute(_app_state.insert().values(key='audit_chain_head', value=''))


def downgrade() -> None:
    op.execute(_app_state.delete().where(_app_state.c.key == 'audit_chain_head'))
    op.drop_index('ux_audit_event_prev_hash', table_name='audit_event')
    op.drop_column('audit_event', 'hash')
    op.drop_column('audit_event', 'prev_hash')

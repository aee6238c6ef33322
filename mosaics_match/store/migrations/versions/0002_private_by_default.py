"""Credentials private by default, earners' share links, and when / why a status changed.

* ``issued_credential.public`` becomes opt-in: every existing credential is unpublished (its earner turns it on).
* ``share_token`` / ``share_token_created_at``: the earner's revocable verification link.
* ``status_changed_at`` / ``public_status_reason``: shown to verifiers of a revoked or suspended credential.
  Existing revoked or suspended rows take the time of their last status change from the audit log.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from mosaics_match.store.models import UTCDateTime

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_changed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('public_status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('share_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('share_token_created_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_issued_credential_share_token', ['share_token'], unique=True)
    op.execute(sa.text("UPDATE issued_credential SET public = :off").bindparams(off=False))
    op.execute(sa.text(
        "UPDATE issued_credential SET status_changed_at = ("
        " SELECT MAX(a.at) FROM audit_event a"
        " WHERE a.subject = issued_credential.credential_id AND a.action IN ('revoke', 'suspend')"
        " AND a.outcome = 'success')"
        " WHERE revoked = :on OR suspended = :on").bindparams(on=True))


def downgrade() -> None:
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.drop_index('ix_issued_credential_share_token')
        batch_op.drop_column('share_token_created_at')
        batch_op.drop_column('share_token')
        batch_op.drop_column('public_status_reason')
        batch_op.drop_column('status_changed_at')

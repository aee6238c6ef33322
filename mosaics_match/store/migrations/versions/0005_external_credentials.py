"""Credentials earners bring from other issuers, and which issuers count in partner searches.

* ``issuer.counts_in_search``: staff's per-issuer switch; on for this portal's own issuer, off for every other.
* ``external_credential``: a credential an earner added, as received, with the signed facts matching reads and
  the outcome of its last check.
* ``peer_document``: documents of demo issuers that have no web host (served to the verifier in demo mode only).

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from mosaics_match.store.models import UTCDateTime

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of ``issuer`` would drop a table other tables' foreign keys refer to.
    op.add_column('issuer', sa.Column('counts_in_search', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE issuer SET counts_in_search = :on WHERE is_local = :on").bindparams(on=True))
    op.create_table(
        'external_credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('earner_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('credential_id', sa.String(length=500), nullable=True),
        sa.Column('issuer_identifier', sa.String(length=500), nullable=False),
        sa.Column('issuer_name', sa.String(length=200), nullable=False),
        sa.Column('achievement_key', sa.String(length=64), nullable=False),
        sa.Column('achievement_name', sa.String(length=300), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('input_kind', sa.String(length=20), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('status_lists', sa.JSON(), nullable=False),
        sa.Column('status_etags', sa.JSON(), nullable=False),
        sa.Column('valid_from', UTCDateTime(), nullable=True),
        sa.Column('valid_until', UTCDateTime(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('state_detail', sa.Text(), nullable=True),
        sa.Column('checked_at', UTCDateTime(), nullable=False),
        sa.Column('partners_may_see', sa.Boolean(), nullable=False),
        sa.Column('added_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['earner_id'], ['earner.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('earner_id', 'digest'),
    )
    op.create_index('ix_external_credential_earner', 'external_credential', ['earner_id'], unique=False)
    op.create_table(
        'peer_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('url'),
    )


def downgrade() -> None:
    op.drop_table('peer_document')
    op.drop_index('ix_external_credential_earner', table_name='external_credential')
    op.drop_table('external_credential')
    op.drop_column('issuer', 'counts_in_search')

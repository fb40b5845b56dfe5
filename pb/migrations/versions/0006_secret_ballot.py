"""secret ballot: sealed ballots waiting to be mixed, re-vote tokens, address keys, atomic throttles

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sealed_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_seal_keys.round_id'],
                            name=op.f('fk_sealed_ballots_round_id_ballot_seal_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballots'))
    )
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballots_round_id'), ['round_id'], unique=False)

    op.create_table('verification_throttles',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('locked_until', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_verification_throttles'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoke_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_pointer', sa.String(length=128), nullable=True))
    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_residencies_address_key'), ['address_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residencies_address_key'))
        batch_op.drop_column('address_key')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_column('revoked_pointer')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('revoke_hash')
    op.drop_table('verification_throttles')
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballots_round_id'))
    op.drop_table('sealed_ballots')

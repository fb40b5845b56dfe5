"""voting: participations, secret ballots, ballot items, seal keys, paper entries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:23:35.768682
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ballot_seal_keys',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ballot_seal_keys_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_ballot_seal_keys'))
    )
    op.create_table('ballots',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('online', 'paper', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('receipt_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ballots_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('receipt_code', name=op.f('uq_ballots_receipt_code'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_round_id'), ['round_id'], unique=False)

    op.create_table('paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('choices_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_paper_entries_entered_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_paper_entries_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_paper_entries_voter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
    sa.UniqueConstraint('round_id', 'voter_id', name=op.f('uq_paper_entries_round_id_voter_id'))
    )
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entries_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entries_voter_id'), ['voter_id'], unique=False)

    op.create_table('participations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('online', 'paper', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('cast_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revotes', sa.Integer(), nullable=False),
    sa.Column('sealed_pointer', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_participations_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_participations_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations')),
    sa.UniqueConstraint('round_id', 'voter_id', name=op.f('uq_participations_round_id_voter_id'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participations_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participations_voter_id'), ['voter_id'], unique=False)

    op.create_table('round_seals',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('sealed_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_seals_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_round_seals'))
    )
    op.create_table('ballot_items',
    sa.Column('ballot_id', sa.BigInteger(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_items_ballot_id_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_ballot_items_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('ballot_id', 'proposal_id', name=op.f('pk_ballot_items')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_items_proposal_id'), ['proposal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ballot_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_items_proposal_id'))

    op.drop_table('ballot_items')
    op.drop_table('round_seals')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_voter_id'))
        batch_op.drop_index(batch_op.f('ix_participations_round_id'))

    op.drop_table('participations')
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entries_voter_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entries_round_id'))

    op.drop_table('paper_entries')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_round_id'))

    op.drop_table('ballots')
    op.drop_table('ballot_seal_keys')

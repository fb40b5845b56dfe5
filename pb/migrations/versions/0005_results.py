"""results: published round results (versioned, immutable) and pabulib imports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:25:54.343177
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('round_imports',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=200), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_rule', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('score_threshold', sa.String(length=40), nullable=True),
    sa.Column('extra_json', sa.Text(), nullable=False),
    sa.Column('imported_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_imports_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_round_imports'))
    )
    op.create_table('round_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('tie_break', sa.String(length=24), nullable=False),
    sa.Column('tie_break_seed', sa.String(length=64), nullable=True),
    sa.Column('outcome_json', sa.Text(), nullable=False),
    sa.Column('ballots_pb', sa.Text(), nullable=False),
    sa.Column('ballots_sha256', sa.String(length=64), nullable=False),
    sa.Column('chain_head', sa.String(length=64), nullable=False),
    sa.Column('receipts_text', sa.Text(), nullable=False),
    sa.Column('ballots_online', sa.Integer(), nullable=False),
    sa.Column('ballots_paper', sa.Integer(), nullable=False),
    sa.Column('eligible_voters', sa.Integer(), nullable=True),
    sa.Column('published_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_round_results_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_results_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_results')),
    sa.UniqueConstraint('round_id', 'version', name=op.f('uq_round_results_round_id_version'))
    )
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_results_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_results_round_id'))

    op.drop_table('round_results')
    op.drop_table('round_imports')

"""rounds and proposals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:18:21.229110
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('budget_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposals_open_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposals_close_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('support_close_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_close_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voting_open_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voting_close_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('results_published_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ballot_type', sa.Enum('approval', 'k_approval', 'knapsack', 'cumulative', 'ranked', 'choose_one', name='ballottype', native_enum=False, length=24), nullable=False),
    sa.Column('min_projects', sa.Integer(), nullable=True),
    sa.Column('max_projects', sa.Integer(), nullable=True),
    sa.Column('min_budget_share_pct', sa.Integer(), nullable=True),
    sa.Column('points_total', sa.Integer(), nullable=True),
    sa.Column('points_max_per_project', sa.Integer(), nullable=True),
    sa.Column('counting_rule', sa.Enum('greedy', 'greedy-no-skip', 'equalshares', 'phragmen', 'max-welfare', name='countingrule', native_enum=False, length=24), nullable=False),
    sa.Column('tie_break', sa.Enum('lower-cost', 'higher-cost', 'lottery', 'order', name='tiebreak', native_enum=False, length=24), nullable=False),
    sa.Column('tie_break_seed', sa.String(length=64), nullable=True),
    sa.Column('support_threshold', sa.Integer(), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('allow_revote', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_rounds_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_area_id'), ['area_id'], unique=False)

    op.create_table('round_neighbourhoods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('budget_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_neighbourhoods_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_neighbourhoods'))
    )
    with op.batch_alter_table('round_neighbourhoods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_neighbourhoods_round_id'), ['round_id'], unique=False)

    op.create_table('round_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_themes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_themes'))
    )
    with op.batch_alter_table('round_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_themes_round_id'), ['round_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'not_enough_support', 'in_review', 'feasible', 'infeasible', 'withdrawn', 'merged', 'hidden', name='proposalstatus', native_enum=False, length=24), nullable=False),
    sa.Column('estimated_cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('cost_cents', sa.BigInteger(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('cost_reason', sa.Text(), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('photo_filename', sa.String(length=80), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposals_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['proposals.id'], name=op.f('fk_proposals_merged_into_id_proposals')),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['round_neighbourhoods.id'], name=op.f('fk_proposals_neighbourhood_id_round_neighbourhoods'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_proposals_round_id_rounds')),
    sa.ForeignKeyConstraint(['theme_id'], ['round_themes.id'], name=op.f('fk_proposals_theme_id_round_themes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_status'), ['status'], unique=False)

    op.create_table('proposal_coinitiators',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_coinitiators_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_coinitiators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id', name=op.f('pk_proposal_coinitiators'))
    )
    op.create_table('proposal_cost_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_cost_lines_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_cost_lines'))
    )
    with op.batch_alter_table('proposal_cost_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_cost_lines_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_supports_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_supports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supports')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_supports_proposal_id_user_id'))
    )
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supports_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supports_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supports_user_id'))
        batch_op.drop_index(batch_op.f('ix_supports_proposal_id'))

    op.drop_table('supports')
    with op.batch_alter_table('proposal_cost_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_cost_lines_proposal_id'))

    op.drop_table('proposal_cost_lines')
    op.drop_table('proposal_coinitiators')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_proposals_round_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_author_id'))

    op.drop_table('proposals')
    with op.batch_alter_table('round_themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_themes_round_id'))

    op.drop_table('round_themes')
    with op.batch_alter_table('round_neighbourhoods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_neighbourhoods_round_id'))

    op.drop_table('round_neighbourhoods')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_area_id'))

    op.drop_table('rounds')

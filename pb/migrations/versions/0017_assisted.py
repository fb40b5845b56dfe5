"""assisted participation: proposals and supports filed at the information point, with consent

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assistances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('proposal', 'support', name='assistkind', native_enum=False, length=16), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('consent_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_assistances_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_assistances_resident_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_assistances_staff_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistances'))
    )
    with op.batch_alter_table('assistances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistances_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistances_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistances_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assistances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistances_staff_id'))
        batch_op.drop_index(batch_op.f('ix_assistances_resident_id'))
        batch_op.drop_index(batch_op.f('ix_assistances_proposal_id'))
    op.drop_table('assistances')

"""after the vote: implementation tracking, milestones, follows, notification settings and sent log

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('implementations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', 'cancelled', name='implementationstatus', native_enum=False, length=16), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('budgeted_cents', sa.BigInteger(), nullable=False),
    sa.Column('actual_cents', sa.BigInteger(), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_implementations_area_id_areas')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_implementations_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implementations')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_implementations_proposal_id'))
    )
    with op.batch_alter_table('implementations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_implementations_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_implementations_year'), ['year'], unique=False)

    op.create_table('implementation_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('implementation_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo_filename', sa.String(length=80), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['implementation_id'], ['implementations.id'], name=op.f('fk_implementation_milestones_implementation_id_implementations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implementation_milestones'))
    )
    with op.batch_alter_table('implementation_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_implementation_milestones_implementation_id'), ['implementation_id'], unique=False)

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(proposal_id IS NULL) <> (area_id IS NULL)', name=op.f('ck_follows_one_target')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_follows_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_follows_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('user_id', 'area_id', name=op.f('uq_follows_user_id_area_id')),
    sa.UniqueConstraint('user_id', 'proposal_id', name=op.f('uq_follows_user_id_proposal_id'))
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_user_id'), ['user_id'], unique=False)

    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('status', sa.Boolean(), nullable=True),
    sa.Column('phase', sa.Boolean(), nullable=True),
    sa.Column('reminder', sa.Boolean(), nullable=True),
    sa.Column('results', sa.Boolean(), nullable=True),
    sa.Column('milestone', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('notifications_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('status', 'phase', 'reminder', 'results', 'milestone', name='notificationkind', native_enum=False, length=16), nullable=False),
    sa.Column('event_key', sa.String(length=120), nullable=False),
    sa.Column('sent_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_sent_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_sent')),
    sa.UniqueConstraint('user_id', 'event_key', name=op.f('uq_notifications_sent_user_id_event_key'))
    )
    with op.batch_alter_table('notifications_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_sent_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_sent_user_id'))
    op.drop_table('notifications_sent')
    op.drop_table('notification_settings')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_user_id'))
        batch_op.drop_index(batch_op.f('ix_follows_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_follows_area_id'))
    op.drop_table('follows')
    with op.batch_alter_table('implementation_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implementation_milestones_implementation_id'))
    op.drop_table('implementation_milestones')
    with op.batch_alter_table('implementations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implementations_year'))
        batch_op.drop_index(batch_op.f('ix_implementations_area_id'))
    op.drop_table('implementations')

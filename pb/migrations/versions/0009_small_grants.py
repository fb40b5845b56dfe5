"""small grants: pots and ledger, applications, backing, decisions, reports, files, agenda, staff areas

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 16:28:02.908015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_agenda_items_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_area_id'), ['area_id'], unique=False)

    op.create_table('area_staff',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_area_staff_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_area_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'user_id', name=op.f('pk_area_staff'))
    )
    op.create_table('grant_mandates',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_grant_mandates_amount_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grant_mandates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_grant_mandates'))
    )
    op.create_table('grant_pots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('rounds_cents', sa.BigInteger(), nullable=False),
    sa.Column('grants_cents', sa.BigInteger(), nullable=False),
    sa.Column('available_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('available_cents >= 0', name=op.f('ck_grant_pots_available_not_negative')),
    sa.CheckConstraint('rounds_cents + grants_cents <= total_cents', name=op.f('ck_grant_pots_parts_within_total')),
    sa.CheckConstraint('rounds_cents >= 0 AND grants_cents >= 0', name=op.f('ck_grant_pots_parts_not_negative')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_grant_pots_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_pots')),
    sa.UniqueConstraint('area_id', 'year', name=op.f('uq_grant_pots_area_id_year'))
    )
    with op.batch_alter_table('grant_pots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_pots_area_id'), ['area_id'], unique=False)

    op.create_table('grant_settings',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('min_backing', sa.Integer(), nullable=False),
    sa.Column('ceiling_cents', sa.BigInteger(), nullable=False),
    sa.Column('receipts_above_cents', sa.BigInteger(), nullable=False),
    sa.Column('service_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('ceiling_cents >= 0', name=op.f('ck_grant_settings_ceiling_not_negative')),
    sa.CheckConstraint('min_backing >= 0', name=op.f('ck_grant_settings_min_backing_not_negative')),
    sa.CheckConstraint('receipts_above_cents >= 0', name=op.f('ck_grant_settings_receipts_not_negative')),
    sa.CheckConstraint('service_days >= 1', name=op.f('ck_grant_settings_service_days_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_grant_settings_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', name=op.f('pk_grant_settings'))
    )
    op.create_table('grant_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('kvk_number', sa.String(length=8), nullable=False),
    sa.Column('assisted_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=True),
    sa.Column('own_contribution_cents', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_hours', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('requested_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'question', 'awaiting_second', 'granted', 'refused', 'moved_to_round', 'withdrawn', name='applicationstatus', native_enum=False, length=24), nullable=False),
    sa.Column('submitted_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('clock_started_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pending_cents', sa.BigInteger(), nullable=True),
    sa.Column('pending_conditions', sa.Text(), nullable=False),
    sa.Column('pending_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_cents', sa.BigInteger(), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('decided_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pot_id', sa.Integer(), nullable=True),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('granted_cents IS NULL OR granted_cents > 0', name=op.f('ck_grant_applications_granted_positive')),
    sa.CheckConstraint('requested_cents >= 0', name=op.f('ck_grant_applications_requested_not_negative')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_grant_applications_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_grant_applications_applicant_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_grant_applications_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assisted_by_id'], ['users.id'], name=op.f('fk_grant_applications_assisted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pending_by_id'], ['users.id'], name=op.f('fk_grant_applications_pending_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pot_id'], ['grant_pots.id'], name=op.f('fk_grant_applications_pot_id_grant_pots'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_grant_applications_proposal_id_proposals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_applications'))
    )
    with op.batch_alter_table('grant_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_applications_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_applications_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_applications_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_applications_status'), ['status'], unique=False)

    op.create_table('grant_backings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_backings_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grant_backings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_backings')),
    sa.UniqueConstraint('application_id', 'user_id', name=op.f('uq_grant_backings_application_id_user_id'))
    )
    with op.batch_alter_table('grant_backings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_backings_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_backings_user_id'), ['user_id'], unique=False)

    op.create_table('grant_cost_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_grant_cost_lines_amount_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_cost_lines_application_id_grant_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_cost_lines'))
    )
    with op.batch_alter_table('grant_cost_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_cost_lines_application_id'), ['application_id'], unique=False)

    op.create_table('grant_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('grant', 'propose', 'disagree', 'refuse', 'question', name='decisionkind', native_enum=False, length=16), nullable=False),
    sa.Column('decider_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_decisions_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decider_id'], ['users.id'], name=op.f('fk_grant_decisions_decider_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_decisions'))
    )
    with op.batch_alter_table('grant_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_decisions_application_id'), ['application_id'], unique=False)

    op.create_table('grant_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('photo', 'report_photo', 'receipt', 'scan', name='filekind', native_enum=False, length=16), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_files_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_grant_files_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_files'))
    )
    with op.batch_alter_table('grant_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_files_application_id'), ['application_id'], unique=False)

    op.create_table('grant_ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('commitment', 'payment', 'return', name='ledgerkind', native_enum=False, length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_grant_ledger_entries_amount_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_grant_ledger_entries_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_ledger_entries_application_id_grant_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pot_id'], ['grant_pots.id'], name=op.f('fk_grant_ledger_entries_pot_id_grant_pots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_ledger_entries'))
    )
    with op.batch_alter_table('grant_ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_ledger_entries_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_ledger_entries_pot_id'), ['pot_id'], unique=False)

    op.create_table('grant_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('actual_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'more_requested', 'accepted', 'reclaimed', name='reportstatus', native_enum=False, length=16), nullable=False),
    sa.Column('manager_note', sa.Text(), nullable=False),
    sa.Column('reclaimed_cents', sa.BigInteger(), nullable=False),
    sa.Column('submitted_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', pb.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('actual_cents >= 0', name=op.f('ck_grant_reports_actual_not_negative')),
    sa.CheckConstraint('reclaimed_cents >= 0', name=op.f('ck_grant_reports_reclaimed_not_negative')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_reports_application_id_grant_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_reports')),
    sa.UniqueConstraint('application_id', name=op.f('uq_grant_reports_application_id'))
    )
    op.create_table('grant_paper_backings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('signatures', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('signatures > 0', name=op.f('ck_grant_paper_backings_signatures_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_paper_backings_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_grant_paper_backings_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scan_id'], ['grant_files.id'], name=op.f('fk_grant_paper_backings_scan_id_grant_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_paper_backings'))
    )
    with op.batch_alter_table('grant_paper_backings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_paper_backings_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_proposals_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_proposals_agenda_item_id_agenda_items'), 'agenda_items', ['agenda_item_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposals_agenda_item_id_agenda_items'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_proposals_agenda_item_id'))
        batch_op.drop_column('agenda_item_id')

    with op.batch_alter_table('grant_paper_backings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_paper_backings_application_id'))

    op.drop_table('grant_paper_backings')
    op.drop_table('grant_reports')
    with op.batch_alter_table('grant_ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_ledger_entries_pot_id'))
        batch_op.drop_index(batch_op.f('ix_grant_ledger_entries_application_id'))

    op.drop_table('grant_ledger_entries')
    with op.batch_alter_table('grant_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_files_application_id'))

    op.drop_table('grant_files')
    with op.batch_alter_table('grant_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_decisions_application_id'))

    op.drop_table('grant_decisions')
    with op.batch_alter_table('grant_cost_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_cost_lines_application_id'))

    op.drop_table('grant_cost_lines')
    with op.batch_alter_table('grant_backings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_backings_user_id'))
        batch_op.drop_index(batch_op.f('ix_grant_backings_application_id'))

    op.drop_table('grant_backings')
    with op.batch_alter_table('grant_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_applications_status'))
        batch_op.drop_index(batch_op.f('ix_grant_applications_area_id'))
        batch_op.drop_index(batch_op.f('ix_grant_applications_applicant_id'))
        batch_op.drop_index(batch_op.f('ix_grant_applications_agenda_item_id'))

    op.drop_table('grant_applications')
    op.drop_table('grant_settings')
    with op.batch_alter_table('grant_pots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_pots_area_id'))

    op.drop_table('grant_pots')
    op.drop_table('grant_mandates')
    op.drop_table('area_staff')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_area_id'))

    op.drop_table('agenda_items')

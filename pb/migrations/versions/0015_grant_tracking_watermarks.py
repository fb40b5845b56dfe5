"""after the vote for small grants: implementation tracking of granted applications; the moment
from which phase starts are announced

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 20:10:00

Granted applications that exist already get their tracking here (status "gepland", or "klaar"
with the reported cost when the accountability report was accepted), as a newly granted
application gets it from the grant decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('implementations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grant_application_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_implementations_grant_application_id'),
                                          ['grant_application_id'])
        batch_op.create_foreign_key(batch_op.f('fk_implementations_grant_application_id_grant_applications'),
                                    'grant_applications', ['grant_application_id'], ['id'])
        batch_op.create_check_constraint(
            'one_funded_item', '(proposal_id IS NULL) <> (grant_application_id IS NULL)')

    op.create_table('notification_watermarks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('since', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_notification_watermarks'))
    )

    # Track the applications granted before this migration (portable SQL, one statement).
    op.execute(sa.text(
        "INSERT INTO implementations (area_id, year, grant_application_id, title, status, cancel_reason, "
        "budgeted_cents, actual_cents, created_at, updated_at) "
        "SELECT a.area_id, p.year, a.id, a.title, "
        "CASE WHEN r.status = 'accepted' THEN 'done' ELSE 'planned' END, '', a.granted_cents, "
        "CASE WHEN r.status = 'accepted' THEN r.actual_cents ELSE NULL END, a.decided_at, a.decided_at "
        "FROM grant_applications a JOIN grant_pots p ON p.id = a.pot_id "
        "LEFT JOIN grant_reports r ON r.application_id = a.id "
        "WHERE a.status = 'granted' AND a.granted_cents IS NOT NULL AND a.decided_at IS NOT NULL"
    ))


def downgrade() -> None:
    op.drop_table('notification_watermarks')
    op.execute(sa.text("DELETE FROM implementations WHERE grant_application_id IS NOT NULL"))
    with op.batch_alter_table('implementations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_implementations_one_funded_item'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_implementations_grant_application_id_grant_applications'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_implementations_grant_application_id'), type_='unique')
        batch_op.drop_column('grant_application_id')

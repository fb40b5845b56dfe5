"""widget origins: websites allowed to embed the widgets (CSP frame-ancestors)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('widget_origins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('created_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_widget_origins')),
    sa.UniqueConstraint('origin', name=op.f('uq_widget_origins_origin'))
    )


def downgrade() -> None:
    op.drop_table('widget_origins')

"""the municipality's face: name, logo, colours, contact details, accessibility and privacy statements

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pb.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('municipality_faces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('logo_name', sa.String(length=80), nullable=True),
    sa.Column('colour_primary', sa.String(length=7), nullable=True),
    sa.Column('colour_on_primary', sa.String(length=7), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('opening_hours', sa.Text(), nullable=False),
    sa.Column('accessibility_statement', sa.Text(), nullable=False),
    sa.Column('privacy_statement', sa.Text(), nullable=False),
    sa.Column('updated_at', pb.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_municipality_faces_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_faces'))
    )


def downgrade() -> None:
    op.drop_table('municipality_faces')
